package sleeper.statestore.postgres.model;

import java.time.Instant;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.ModelAccess;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * The rows of one data file that belong to one partition. Defaults: no job, no time, an exact count
 * ({@code countApproximate} false) and only this partition's data ({@code onlyContainsDataForThisPartition}
 * true). The store sets {@code lastUpdateTime} on every write and ignores a supplied one. Two references
 * are equal when all seven fields are.
 */
public final class FileReference {
    static {
        ModelAccess.register(new ModelCodecs());
    }

    private final String filename;
    private final String partitionId;
    private final long numberOfRows;
    private final String jobId;
    private final Instant lastUpdateTime;
    private final boolean countApproximate;
    private final boolean onlyContainsDataForThisPartition;

    /**
     * The wire format (the JNI crate's {@code wire.rs}): the fields in order. {@code read} builds the reference
     * through the private constructor, without validating it again. Every model class keeps its format so,
     * beside its fields, which makes a new field a change to its class and to {@code wire.rs} alone.
     */
    static final WireCodec<FileReference> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, FileReference value) {
            out.string(value.filename).string(value.partitionId).i64(value.numberOfRows).string(value.jobId)
                    .time(value.lastUpdateTime).bool(value.countApproximate)
                    .bool(value.onlyContainsDataForThisPartition);
        }

        @Override
        public FileReference read(WireReader in) {
            String filename = in.string();
            String partitionId = in.string();
            long numberOfRows = in.i64();
            String jobId = in.string();
            Instant lastUpdateTime = in.time();
            boolean countApproximate = in.bool();
            boolean onlyContainsDataForThisPartition = in.bool();
            return new FileReference(filename, partitionId, numberOfRows, jobId, lastUpdateTime, countApproximate,
                    onlyContainsDataForThisPartition, false);
        }
    };

    /** A reference with the defaults for every other field. */
    public FileReference(String filename, String partitionId, long numberOfRows) {
        this(builder().filename(filename).partitionId(partitionId).numberOfRows(numberOfRows));
    }

    private FileReference(Builder builder) {
        this(Args.notNull(builder.filename, "filename"), Args.notNull(builder.partitionId, "partitionId"),
                Args.notNull(builder.numberOfRows, "numberOfRows"), builder.jobId, builder.lastUpdateTime,
                builder.countApproximate, builder.onlyContainsDataForThisPartition, true);
    }

    private FileReference(String filename, String partitionId, long numberOfRows, String jobId,
            Instant lastUpdateTime, boolean countApproximate, boolean onlyContainsDataForThisPartition,
            boolean validate) {
        this.filename = filename;
        this.partitionId = partitionId;
        this.numberOfRows = numberOfRows;
        this.jobId = jobId;
        this.lastUpdateTime = lastUpdateTime;
        this.countApproximate = countApproximate;
        this.onlyContainsDataForThisPartition = onlyContainsDataForThisPartition;
        if (validate) {
            WireWriter.validate(WireKind.FILE_REFERENCE, WIRE, this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this reference's fields, to make a changed copy. */
    public Builder toBuilder() {
        return new Builder().filename(filename).partitionId(partitionId).numberOfRows(numberOfRows).jobId(jobId)
                .lastUpdateTime(lastUpdateTime).countApproximate(countApproximate)
                .onlyContainsDataForThisPartition(onlyContainsDataForThisPartition);
    }

    public String getFilename() {
        return filename;
    }

    public String getPartitionId() {
        return partitionId;
    }

    public long getNumberOfRows() {
        return numberOfRows;
    }

    /** The compaction job the reference is assigned to, or null. */
    public String getJobId() {
        return jobId;
    }

    /** When the store last wrote this reference; null on references not read from the store. */
    public Instant getLastUpdateTime() {
        return lastUpdateTime;
    }

    public boolean isCountApproximate() {
        return countApproximate;
    }

    public boolean onlyContainsDataForThisPartition() {
        return onlyContainsDataForThisPartition;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof FileReference)) {
            return false;
        }
        FileReference that = (FileReference) other;
        return numberOfRows == that.numberOfRows && countApproximate == that.countApproximate
                && onlyContainsDataForThisPartition == that.onlyContainsDataForThisPartition
                && filename.equals(that.filename) && partitionId.equals(that.partitionId)
                && Objects.equals(jobId, that.jobId) && Objects.equals(lastUpdateTime, that.lastUpdateTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(filename, partitionId, numberOfRows, jobId, lastUpdateTime, countApproximate,
                onlyContainsDataForThisPartition);
    }

    @Override
    public String toString() {
        return "FileReference{filename='" + filename + "', partitionId='" + partitionId + "', numberOfRows="
                + numberOfRows + ", jobId=" + (jobId == null ? "null" : "'" + jobId + "'") + ", lastUpdateTime="
                + lastUpdateTime + ", countApproximate=" + countApproximate + ", onlyContainsDataForThisPartition="
                + onlyContainsDataForThisPartition + "}";
    }

    /** Builds a reference; {@code filename}, {@code partitionId} and {@code numberOfRows} are required. */
    public static final class Builder {
        private String filename;
        private String partitionId;
        private Long numberOfRows;
        private String jobId;
        private Instant lastUpdateTime;
        private boolean countApproximate;
        private boolean onlyContainsDataForThisPartition = true;

        private Builder() {
        }

        public Builder filename(String filename) {
            this.filename = filename;
            return this;
        }

        public Builder partitionId(String partitionId) {
            this.partitionId = partitionId;
            return this;
        }

        public Builder numberOfRows(long numberOfRows) {
            this.numberOfRows = numberOfRows;
            return this;
        }

        public Builder jobId(String jobId) {
            this.jobId = jobId;
            return this;
        }

        public Builder lastUpdateTime(Instant lastUpdateTime) {
            this.lastUpdateTime = lastUpdateTime;
            return this;
        }

        public Builder countApproximate(boolean countApproximate) {
            this.countApproximate = countApproximate;
            return this;
        }

        public Builder onlyContainsDataForThisPartition(boolean onlyContainsDataForThisPartition) {
            this.onlyContainsDataForThisPartition = onlyContainsDataForThisPartition;
            return this;
        }

        /** The reference; NullPointerException for a missing field, IllegalArgumentException for a bad one. */
        public FileReference build() {
            return new FileReference(this);
        }
    }
}
