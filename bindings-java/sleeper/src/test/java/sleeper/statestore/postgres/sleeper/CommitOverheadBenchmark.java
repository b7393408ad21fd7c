package sleeper.statestore.postgres.sleeper;

import java.util.Arrays;
import java.util.List;

import sleeper.core.properties.table.TableProperties;
import sleeper.core.schema.Schema;
import sleeper.core.schema.type.LongType;
import sleeper.core.statestore.FileReference;
import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.transactionlog.AddTransactionRequest;
import sleeper.core.statestore.transactionlog.transaction.impl.ReplaceFileReferencesTransaction;
import sleeper.statestore.postgres.PostgresStateStore;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;

import static sleeper.core.properties.table.TableProperty.TABLE_ID;
import static sleeper.core.properties.testutils.InstancePropertiesTestHelper.createTestInstanceProperties;
import static sleeper.core.properties.testutils.TablePropertiesTestHelper.createTestTableProperties;
import static sleeper.core.schema.SchemaTestHelper.createSchemaWithKey;
import static sleeper.core.statestore.ReplaceFileReferencesRequest.replaceJobFileReferences;
import static sleeper.core.statestore.testutils.StateStoreUpdatesWrapper.update;

/**
 * A loop benchmark, not a test: one compaction commit through Sleeper's {@code StateStore} (a
 * {@code ReplaceFileReferencesTransaction}, turned into Sleeper's JSON and applied by the core) beside
 * the same commit through the Java API ({@code atomicallyReplaceFileReferencesWithNewOnes}), alternating
 * call by call on one table so that both see the same server. Prints the medians and the median of the
 * paired differences, in microseconds. Run by {@code scripts/bench-bindings.sh}:
 *
 * <pre>
 * java -cp ... sleeper.statestore.postgres.sleeper.CommitOverheadBenchmark [commits]
 * </pre>
 *
 * Uses {@code DATABASE_URL} when set, otherwise a throwaway local cluster.
 */
public final class CommitOverheadBenchmark {
    private CommitOverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        Schema schema = createSchemaWithKey("key", new LongType());
        TableProperties tableProperties = createTestTableProperties(createTestInstanceProperties(), schema);
        tableProperties.set(TABLE_ID, "bench-commit-overhead-" + System.currentTimeMillis());
        PostgresSleeperStateStore sleeper = (PostgresSleeperStateStore) PostgresTestDatabase.factory()
                .getStateStore(tableProperties);
        PostgresStateStore api = sleeper.postgresStateStore();
        update(sleeper).initialise(schema);
        int warmUp = Math.max(10, commits / 10);
        int total = warmUp + 2 * commits;
        for (int i = 0; i < total; i++) {
            update(sleeper).addFile(file("input-" + i));
        }
        for (int i = 0; i < total; i++) {
            api.assignJobIds(List.of(new AssignJobIdRequest("job-" + i, "root", List.of("input-" + i))));
        }
        long[] throughSleeper = new long[commits];
        long[] throughApi = new long[commits];
        for (int i = 0; i < total; i++) {
            long started = System.nanoTime();
            if (i % 2 == 0) {
                commitThroughSleeper(sleeper, i);
            } else {
                commitThroughApi(api, i);
            }
            long nanos = System.nanoTime() - started;
            int measured = (i - warmUp) / 2;
            if (i >= warmUp && measured < commits) {
                (i % 2 == 0 ? throughSleeper : throughApi)[measured] = nanos;
            }
        }
        long[] differences = new long[commits];
        for (int i = 0; i < commits; i++) {
            differences[i] = throughSleeper[i] - throughApi[i];
        }
        System.out.printf("Sleeper module commit median %.1f us, Java API commit median %.1f us; "
                + "paired difference median %.1f us, p10 %.1f us, p90 %.1f us (%d commits each)%n",
                micros(median(throughSleeper)), micros(median(throughApi)), micros(median(differences)),
                micros(quantile(differences, 0.1)), micros(quantile(differences, 0.9)), commits);
        api.getFileReferences();
    }

    private static void commitThroughSleeper(StateStore store, int i) {
        store.addTransaction(AddTransactionRequest.withTransaction(new ReplaceFileReferencesTransaction(List.of(
                replaceJobFileReferences("job-" + i, List.of("input-" + i), file("output-" + i))))).build());
    }

    private static void commitThroughApi(PostgresStateStore store, int i) throws Exception {
        store.atomicallyReplaceFileReferencesWithNewOnes(List.of(new ReplaceFileReferencesRequest(
                "job-" + i, "root", List.of("input-" + i),
                new sleeper.statestore.postgres.model.FileReference("output-" + i, "root", 100))));
    }

    private static FileReference file(String filename) {
        return FileReference.builder().filename(filename).partitionId("root").numberOfRows(100L)
                .countApproximate(false).onlyContainsDataForThisPartition(true).build();
    }

    private static long median(long[] values) {
        return quantile(values, 0.5);
    }

    private static long quantile(long[] values, double q) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.round((sorted.length - 1) * q)];
    }

    private static double micros(long nanos) {
        return nanos / 1000.0;
    }
}
