package sleeper.statestore.postgres;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import sleeper.statestore.postgres.internal.WireReader;

/**
 * What a client's calls did since it connected ({@link PostgresStateStoreClient#stats()}): the operations called at
 * least once, each named as the Rust core names it (such as {@code "add_files"}). Immutable.
 *
 * @param operations the operations called, in the core's order
 */
public record ClientStats(List<OperationStats> operations) {

    public ClientStats {
        operations = List.copyOf(operations);
    }

    /** The statistics of one operation, if it was called. */
    public Optional<OperationStats> operation(String name) {
        return operations.stream().filter(o -> o.operation().equals(name)).findFirst();
    }

    static ClientStats read(WireReader in) {
        return new ClientStats(in.list(ClientStats::readOperation));
    }

    private static OperationStats readOperation(WireReader in) {
        String operation = in.string();
        long calls = in.i64();
        int kinds = in.i32();
        Map<String, Long> failures = new LinkedHashMap<>();
        for (int i = 0; i < kinds; i++) {
            failures.put(in.string(), in.i64());
        }
        long retries = in.i64();
        long count = in.i64();
        double sum = in.f64();
        List<Bucket> buckets = in.list(b -> new Bucket(b.f64(), b.i64()));
        OptionalDouble p50 = optionalDouble(in);
        OptionalDouble p99 = optionalDouble(in);
        return new OperationStats(operation, calls, failures, retries,
                new DurationHistogram(count, sum, buckets, p50, p99));
    }

    private static OptionalDouble optionalDouble(WireReader in) {
        return in.bool() ? OptionalDouble.of(in.f64()) : OptionalDouble.empty();
    }

    /**
     * One operation's calls.
     *
     * @param operation the operation's name
     * @param calls     calls finished, whatever their outcome
     * @param failures  failed calls by the exception class name of their error (such as
     *                  {@code "FileNotFoundException"}); kinds that never happened are left out
     * @param retries   attempts beyond the first, after conflicts
     * @param duration  how long the calls took, retries included
     */
    public record OperationStats(String operation, long calls, Map<String, Long> failures, long retries,
            DurationHistogram duration) {
        public OperationStats {
            failures = Map.copyOf(failures);
        }
    }

    /**
     * A latency histogram as Prometheus keeps one, in seconds. Calls slower than the last bound are {@code count}
     * less the last bucket's.
     *
     * @param count      calls measured
     * @param sumSeconds their durations added up
     * @param buckets    cumulative buckets, by upper bound
     * @param p50Seconds the median estimated from the buckets; empty before any call
     * @param p99Seconds the 99th percentile, estimated the same way
     */
    public record DurationHistogram(long count, double sumSeconds, List<Bucket> buckets, OptionalDouble p50Seconds,
            OptionalDouble p99Seconds) {
        public DurationHistogram {
            buckets = List.copyOf(buckets);
        }
    }

    /**
     * One cumulative bucket of a {@link DurationHistogram}.
     *
     * @param leSeconds the upper bound, inclusive
     * @param count     calls that took at most {@code leSeconds}
     */
    public record Bucket(double leSeconds, long count) {
    }
}
