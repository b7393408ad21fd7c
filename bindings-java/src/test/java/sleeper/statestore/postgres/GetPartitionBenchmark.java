package sleeper.statestore.postgres;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;

/**
 * A loop benchmark, not a test: the cost of one {@code getPartition} from Java, and optionally of reading
 * many file references. {@code scripts/bench-bindings.sh} runs it beside cargo bench's P4 and P3 (the same
 * calls from Rust), as it runs Python's and C's. Build in release mode for meaningful numbers:
 *
 * <pre>
 * cd bindings-java &amp;&amp; mvn -B -q -Dcargo.profile=release -DskipTests install
 * java -cp target/classes:target/test-classes sleeper.statestore.postgres.GetPartitionBenchmark [calls] [references]
 * </pre>
 *
 * Uses {@code DATABASE_URL} when set, otherwise a throwaway local cluster.
 */
public final class GetPartitionBenchmark {
    private GetPartitionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int references = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        try (PostgresStateStoreClient client = PostgresStateStoreClient.connect(TestDatabase.url())) {
            String tableId = "bench-" + System.currentTimeMillis();
            try (PostgresStateStore store = client.createTable(tableId, TestDatabase.longKey())) {
                List<Long> splitPoints = new ArrayList<>();
                for (long i = 1; i < 1024; i++) {
                    splitPoints.add(i * 1000);
                }
                store.initialise(PartitionsFromSplitPoints.construct(store.getRowKeyFields(), splitPoints));
                List<Partition> leaves = store.getLeafPartitions();
                getPartition(store, leaves.get(leaves.size() / 2).getId(), calls);
                if (references > 0) {
                    fileReferences(store, leaves, references);
                }
            } finally {
                client.deleteTable(tableId);
            }
        }
        System.exit(0);
    }

    private static void getPartition(PostgresStateStore store, String id, int calls) throws Exception {
        for (int i = 0; i < calls / 4; i++) {
            store.getPartition(id);
        }
        long[] java = new long[calls];
        long started = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            store.getPartition(id);
            java[i] = System.nanoTime() - start;
        }
        double mean = (System.nanoTime() - started) / 1000.0 / calls;
        System.out.printf("getPartition, %d calls (us): mean %.2f, p10 %.2f, median %.2f%n", calls, mean,
                percentile(java, 10) / 1000.0, percentile(java, 50) / 1000.0);
    }

    private static void fileReferences(PostgresStateStore store, List<Partition> leaves, int count) throws Exception {
        long start = System.nanoTime();
        int batch = 10_000;
        for (int first = 0; first < count; first += batch) {
            List<FileReference> references = new ArrayList<>(batch);
            for (int i = first; i < Math.min(count, first + batch); i++) {
                String filename = String.format("s3://sleeper-bench-bucket/data/partition/file-%012d.parquet", i);
                references.add(new FileReference(filename, leaves.get(i % leaves.size()).getId(), 1000 + i));
            }
            store.addFiles(references);
        }
        System.out.printf("added %d references in %.1f s%n", count, (System.nanoTime() - start) / 1e9);
        int rounds = 5;
        arrowReferences(store, count, rounds);
        long[] java = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            long begin = System.nanoTime();
            int read = store.getFileReferences().size();
            java[round] = System.nanoTime() - begin;
            if (read != count) {
                throw new IllegalStateException("read " + read + " references, expected " + count);
            }
        }
        System.out.printf("getFileReferences of %d: fastest %.3f s, median %.3f s (%d rounds)%n", count,
                percentile(java, 0) / 1e9, median(java) / 1e9, rounds);
        System.out.println("  rounds (s): " + seconds(java));
    }

    /**
     * The same read as Arrow batches through the C data interface, each batch loaded into the reader's
     * VectorSchemaRoot: no Java object per row. The allocator's peak is what the read held at once.
     */
    private static void arrowReferences(PostgresStateStore store, int count, int rounds) throws Exception {
        long[] java = new long[rounds];
        long[] core = new long[rounds];
        long peak = 0;
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int round = 0; round < rounds; round++) {
                long begin = System.nanoTime();
                long read = 0;
                try (ArrowReader reader = store.getFileReferencesArrow(allocator)) {
                    // The core's read is done when the reader is returned: the binding's cost is what follows.
                    core[round] = System.nanoTime() - begin;
                    while (reader.loadNextBatch()) {
                        read += reader.getVectorSchemaRoot().getRowCount();
                    }
                }
                java[round] = System.nanoTime() - begin;
                if (read != count) {
                    throw new IllegalStateException("read " + read + " references as Arrow, expected " + count);
                }
            }
            peak = allocator.getPeakMemoryAllocation();
        }
        System.out.printf("getFileReferencesArrow of %d: fastest %.3f s, median %.3f s (%d rounds), allocator peak %d bytes%n",
                count, percentile(java, 0) / 1e9, median(java) / 1e9, rounds, peak);
        System.out.printf("  of which the core's read: median %.3f s%n", median(core) / 1e9);
    }

    private static long median(long[] values) {
        return percentile(values, 50);
    }

    private static long percentile(long[] values, int percent) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }

    private static String seconds(long[] nanos) {
        return Arrays.toString(LongStream.of(nanos).mapToObj(n -> String.format("%.3f", n / 1e9)).toArray());
    }
}
