// The life of a Sleeper table through the Java API: create a table, initialise its partitions from split
// points, add files, push a file's references down to the leaves, run a compaction job (assign, commit),
// and garbage-collect its input; then Sleeper v0.36 transactions, given as the JSON of Sleeper's
// TransactionSerDe and applied as its state store committer applies them. Prints the state as small tables
// after each step.
//
// Run with the jar on the class path (bindings-java/run-tests.sh does this after building it):
//   java -cp bindings-java/target/sleeper-pg-0.1.0.jar examples/java/Demo.java
// It uses $DATABASE_URL when set, otherwise a throwaway local PostgreSQL cluster.

import java.time.Instant;
import java.util.List;
import java.util.Map;

import sleeper.statestore.postgres.LocalPostgres;
import sleeper.statestore.postgres.PartitionsFromSplitPoints;
import sleeper.statestore.postgres.PostgresStateStore;
import sleeper.statestore.postgres.PostgresStateStoreClient;
import sleeper.statestore.postgres.TransactionFailure;
import sleeper.statestore.postgres.TransactionOutcome;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

public class Demo {
    public static void main(String[] args) throws StateStoreException {
        String url = System.getenv("DATABASE_URL");
        if (url != null && !url.isEmpty()) {
            run(url);
        } else {
            try (LocalPostgres postgres = LocalPostgres.start()) {
                run(postgres.getUrl());
            }
        }
    }

    static void run(String url) throws StateStoreException {
        try (PostgresStateStoreClient client = PostgresStateStoreClient.connect(url)) {
            String tableId = "java-demo-" + System.currentTimeMillis();
            List<RowKeyField> rowKeys = List.of(new RowKeyField("key", KeyType.LONG));
            try (PostgresStateStore store = client.createTable(tableId, rowKeys)) {
                lifeCycle(store);
            } finally {
                client.deleteTable(tableId);
            }
        }
    }

    static void lifeCycle(PostgresStateStore store) throws StateStoreException {
        step("Initialise from split point 100");
        store.initialise(PartitionsFromSplitPoints.construct(store.getRowKeyFields(), List.of(100L)));
        Partition root = store.getAllPartitions().stream().filter(p -> p.getParentPartitionId() == null)
                .findFirst().orElseThrow();
        String left = root.getChildPartitionIds().get(0);
        String right = root.getChildPartitionIds().get(1);
        Map<String, String> names = Map.of(root.getId(), "root", left, "L", right, "R");
        printPartitions(store, names);

        step("Add file1 on the root and file2 on L (clock 10:00)");
        store.fixFileUpdateTime(Instant.parse("2024-01-01T10:00:00Z"));
        FileReference file1 = new FileReference("file1", root.getId(), 1000);
        store.addFiles(List.of(file1, new FileReference("file2", left, 200)));
        printReferences(store, names);

        step("Push file1 down to the leaves (clock 10:01)");
        store.fixFileUpdateTime(Instant.parse("2024-01-01T10:01:00Z"));
        store.splitFileReferences(List.of(SplitFileReferenceRequest.splitFileToChildPartitions(file1, left, right)));
        printReferences(store, names);

        step("Assign compaction job1 on L to file1 and file2 (clock 10:02)");
        store.fixFileUpdateTime(Instant.parse("2024-01-01T10:02:00Z"));
        store.assignJobIds(List.of(new AssignJobIdRequest("job1", left, List.of("file1", "file2"))));
        printReferences(store, names);

        step("Commit job1: file3 replaces them on L (clock 10:03)");
        store.fixFileUpdateTime(Instant.parse("2024-01-01T10:03:00Z"));
        store.atomicallyReplaceFileReferencesWithNewOnes(List.of(new ReplaceFileReferencesRequest("job1", left,
                List.of("file1", "file2"), new FileReference("file3", left, 700))));
        printReferences(store, names);
        printFiles(store);

        step("Garbage collection");
        List<String> ready = store.getReadyForGCFilenamesBefore(Instant.parse("2024-01-01T10:03:00.001Z"));
        System.out.println("ready for GC before 10:03:00.001: " + ready);
        store.deleteGarbageCollectedFileReferenceCounts(ready);
        printFiles(store);

        step("Sleeper v0.36: an ADD_FILES transaction adds file4 on L and file5 on R (clock 10:04)");
        store.fixFileUpdateTime(Instant.parse("2024-01-01T10:04:00Z"));
        String addFiles = "{\"files\":[" + fileJson("file4", left) + "," + fileJson("file5", right) + "]}";
        store.applyTransaction("ADD_FILES", addFiles, false);
        printReferences(store, names);

        step("A batch of two compaction commits, as the committer applies it: job3 never took file5 (clock 10:05)");
        store.assignJobIds(List.of(new AssignJobIdRequest("job2", left, List.of("file4"))));
        store.fixFileUpdateTime(Instant.parse("2024-01-01T10:05:00Z"));
        String batch = "{\"jobs\":[" + jobJson("job2", "file4", "file6", left) + ","
                + jobJson("job3", "file5", "file7", right) + "]}";
        TransactionOutcome outcome = store.applyTransaction("REPLACE_FILE_REFERENCES", batch, false);
        for (TransactionFailure failure : outcome.getFailures()) {
            System.out.println("skipped job " + failure.getIndex() + ": "
                    + failure.getException().getClass().getSimpleName() + ": " + failure.getException().getMessage());
        }
        printReferences(store, names);
    }

    /** A file with one whole reference of 100 rows, as Sleeper's TransactionSerDe writes it. */
    static String fileJson(String filename, String partitionId) {
        return "{\"filename\":\"" + filename + "\",\"references\":[{\"partitionId\":\"" + partitionId
                + "\",\"numberOfRows\":100,\"countApproximate\":false,\"onlyContainsDataForThisPartition\":true}]}";
    }

    /** A compaction job's commit: its input replaced by its output, 100 rows on the same partition. */
    static String jobJson(String jobId, String input, String output, String partitionId) {
        return "{\"jobId\":\"" + jobId + "\",\"inputFiles\":[\"" + input + "\"],\"newReference\":{\"filename\":\""
                + output + "\",\"partitionId\":\"" + partitionId
                + "\",\"numberOfRows\":100,\"countApproximate\":false,\"onlyContainsDataForThisPartition\":true}}";
    }

    static void step(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    static void printPartitions(PostgresStateStore store, Map<String, String> names) throws StateStoreException {
        System.out.printf("%-6s %-5s %-6s %-10s %s%n", "id", "leaf", "parent", "children", "key range");
        for (Partition p : store.getAllPartitions()) {
            var range = p.getRegion().getRange("key");
            System.out.printf("%-6s %-5s %-6s %-10s [%s, %s)%n", names.get(p.getId()), p.isLeafPartition(),
                    p.getParentPartitionId() == null ? "-" : names.get(p.getParentPartitionId()),
                    p.getChildPartitionIds().stream().map(names::get).reduce((a, b) -> a + "," + b).orElse("-"),
                    range.getMin(), range.getMax() == null ? "none" : range.getMax());
        }
    }

    static void printReferences(PostgresStateStore store, Map<String, String> names) throws StateStoreException {
        System.out.printf("%-6s %-9s %5s %-7s %-6s %-6s %s%n", "file", "partition", "rows", "approx", "only",
                "job", "updated");
        for (FileReference r : store.getFileReferences()) {
            System.out.printf("%-6s %-9s %5d %-7s %-6s %-6s %s%n", r.getFilename(), names.get(r.getPartitionId()),
                    r.getNumberOfRows(), r.isCountApproximate(), r.onlyContainsDataForThisPartition(),
                    r.getJobId() == null ? "-" : r.getJobId(), r.getLastUpdateTime());
        }
    }

    static void printFiles(PostgresStateStore store) throws StateStoreException {
        System.out.printf("%-6s %-10s %s%n", "file", "references", "file updated");
        for (AllReferencesToAFile f : store.getAllFilesWithMaxUnreferenced(100).getFiles()) {
            System.out.printf("%-6s %-10d %s%n", f.getFilename(), f.getReferenceCount(), f.getLastUpdateTime());
        }
    }
}
