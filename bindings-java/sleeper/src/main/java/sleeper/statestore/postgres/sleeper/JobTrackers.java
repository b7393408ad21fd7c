package sleeper.statestore.postgres.sleeper;

import java.util.Objects;

import sleeper.core.tracker.compaction.job.CompactionJobTracker;
import sleeper.core.tracker.ingest.job.IngestJobTracker;

/**
 * The job trackers the store reports commits to, as Sleeper's transaction log followers do: an ingest's
 * files added or not, each compaction job committed or failed. {@link #NONE} reports nothing.
 */
public final class JobTrackers {
    /** Reports to no tracker. */
    public static final JobTrackers NONE = new JobTrackers(IngestJobTracker.NONE, CompactionJobTracker.NONE);

    private final IngestJobTracker ingest;
    private final CompactionJobTracker compaction;

    private JobTrackers(IngestJobTracker ingest, CompactionJobTracker compaction) {
        this.ingest = Objects.requireNonNull(ingest, "ingest");
        this.compaction = Objects.requireNonNull(compaction, "compaction");
    }

    /** Reports to these trackers; either may be its {@code NONE}. */
    public static JobTrackers of(IngestJobTracker ingest, CompactionJobTracker compaction) {
        return new JobTrackers(ingest, compaction);
    }

    IngestJobTracker ingest() {
        return ingest;
    }

    CompactionJobTracker compaction() {
        return compaction;
    }
}
