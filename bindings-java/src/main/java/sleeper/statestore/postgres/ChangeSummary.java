package sleeper.statestore.postgres;

import sleeper.statestore.postgres.internal.WireReader;

/**
 * Counts of what a change feed entry's transaction names ({@link Change#summary()}). Immutable.
 *
 * @param files      files added, or deleted, or the inputs of the jobs committed, or split
 * @param references references added, assigned, split into, or written as compaction outputs
 * @param jobs       compaction jobs assigned or committed
 * @param partitions partitions written
 */
public record ChangeSummary(long files, long references, long jobs, long partitions) {

    static ChangeSummary read(WireReader in) {
        return new ChangeSummary(in.i64(), in.i64(), in.i64(), in.i64());
    }
}
