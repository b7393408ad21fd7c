package sleeper.statestore.postgres;

import java.time.Instant;
import java.util.Optional;

import sleeper.statestore.postgres.internal.WireReader;

/**
 * A table's counts in one snapshot ({@link PostgresStateStore#status()}). Immutable.
 *
 * @param partitions                partitions of the tree, leaves included
 * @param leafPartitions            leaf partitions
 * @param files                     file records, referenced or not
 * @param references                references
 * @param referencesWithNoJob       references with no job: waiting for compaction
 * @param jobsInFlight              distinct jobs that references are assigned to
 * @param unreferencedFiles         files with no reference: ready for garbage collection once old enough
 * @param oldestReferenceWithNoJob  the earliest last update of a reference with no job, if any
 * @param oldestUnreferencedFile    the earliest last update of a file with no reference, if any
 */
public record TableStatus(long partitions, long leafPartitions, long files, long references,
        long referencesWithNoJob, long jobsInFlight, long unreferencedFiles,
        Optional<Instant> oldestReferenceWithNoJob, Optional<Instant> oldestUnreferencedFile) {

    static TableStatus read(WireReader in) {
        return new TableStatus(in.i64(), in.i64(), in.i64(), in.i64(), in.i64(), in.i64(), in.i64(),
                Optional.ofNullable(in.time()), Optional.ofNullable(in.time()));
    }
}
