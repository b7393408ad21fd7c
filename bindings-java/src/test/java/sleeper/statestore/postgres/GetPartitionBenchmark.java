package sleeper.statestore.postgres;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;

/**
 * A loop benchmark, not a test: the cost of one {@code getPartition} from Java next to the same call made
 * in Rust through the same handle ({@link PostgresStateStore#benchmarkInRust}), and optionally of reading
 * many file references. Build the native library in release mode for meaningful numbers:
 *
 * <pre>
 * cargo build --release -p sleeper-pg-java
 * cd bindings-java &amp;&amp; mvn -B -q -Dnative.dir=$PWD/../target/release -DskipTests test-compile
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
            store.benchmarkInRust(id, 1);
        }
        // Paired: each Java call is followed by the same call timed inside Rust, so that the drift of a
        // shared machine affects both alike; the median of the per-pair differences is the JNI cost.
        long[] java = new long[calls];
        long[] rust = new long[calls];
        long[] difference = new long[calls];
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            store.getPartition(id);
            java[i] = System.nanoTime() - start;
            rust[i] = store.benchmarkInRust(id, 1);
            difference[i] = java[i] - rust[i];
        }
        System.out.printf("getPartition, %d paired calls (us): Java p10 %.2f / median %.2f, Rust p10 %.2f / median"
                + " %.2f; difference p10 %.2f / median %.2f%n", calls, percentile(java, 10) / 1000.0,
                percentile(java, 50) / 1000.0, percentile(rust, 10) / 1000.0, percentile(rust, 50) / 1000.0,
                (percentile(java, 10) - percentile(rust, 10)) / 1000.0, percentile(difference, 50) / 1000.0);
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
        long[] java = new long[rounds];
        long[] rust = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            long begin = System.nanoTime();
            int read = store.getFileReferences().size();
            java[round] = System.nanoTime() - begin;
            if (read != count) {
                throw new IllegalStateException("read " + read + " references, expected " + count);
            }
            rust[round] = store.benchmarkInRust(null, 1);
        }
        System.out.printf("getFileReferences of %d: fastest Java %.3f s, Rust %.3f s, ratio %.2f; median Java %.3f s,"
                + " Rust %.3f s, ratio %.2f (%d rounds)%n", count, percentile(java, 0) / 1e9, percentile(rust, 0) / 1e9,
                (double) percentile(java, 0) / percentile(rust, 0), median(java) / 1e9, median(rust) / 1e9,
                (double) median(java) / median(rust), rounds);
        System.out.println("  Java rounds (s): " + seconds(java));
        System.out.println("  Rust rounds (s): " + seconds(rust));
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
