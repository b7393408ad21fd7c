package sleeper.statestore.postgres.model;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * A node of the partition tree. Defaults: a leaf with no parent, no children and dimension -1. After a
 * split it is not a leaf, lists its two children (left, the min side, first) and the dimension split on.
 * Two partitions are equal when all six fields are; the order of the children matters.
 */
public final class Partition {
    private final String id;
    private final Region region;
    private final boolean leafPartition;
    private final String parentPartitionId;
    private final List<String> childPartitionIds;
    private final int dimension;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<Partition> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, Partition value) {
            out.string(value.id).write(Region.WIRE, value.region).bool(value.leafPartition)
                    .string(value.parentPartitionId).strings(value.childPartitionIds).i32(value.dimension);
        }

        @Override
        public Partition read(WireReader in) {
            String id = in.string();
            Region region = in.read(Region.WIRE);
            boolean leafPartition = in.bool();
            String parentPartitionId = in.string();
            List<String> childPartitionIds = in.strings();
            int dimension = in.i32();
            return new Partition(id, region, leafPartition, parentPartitionId, childPartitionIds, dimension, false);
        }
    };

    private Partition(Builder builder) {
        this(Args.notNull(builder.id, "id"), Args.notNull(builder.region, "region"), builder.leafPartition,
                builder.parentPartitionId, Args.listOf(builder.childPartitionIds, "childPartitionIds"),
                builder.dimension, true);
    }

    private Partition(String id, Region region, boolean leafPartition, String parentPartitionId,
            List<String> childPartitionIds, int dimension, boolean validate) {
        this.id = id;
        this.region = region;
        this.leafPartition = leafPartition;
        this.parentPartitionId = parentPartitionId;
        this.childPartitionIds = childPartitionIds;
        this.dimension = dimension;
        if (validate) {
            WireWriter.validate(WireKind.PARTITION, WIRE, this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this partition's fields, to make a changed copy. */
    public Builder toBuilder() {
        return new Builder().id(id).region(region).leafPartition(leafPartition).parentPartitionId(parentPartitionId)
                .childPartitionIds(childPartitionIds).dimension(dimension);
    }

    public String getId() {
        return id;
    }

    public Region getRegion() {
        return region;
    }

    public boolean isLeafPartition() {
        return leafPartition;
    }

    /** The parent's id; null only for the root. */
    public String getParentPartitionId() {
        return parentPartitionId;
    }

    public List<String> getChildPartitionIds() {
        return childPartitionIds;
    }

    public int getDimension() {
        return dimension;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Partition)) {
            return false;
        }
        Partition that = (Partition) other;
        return leafPartition == that.leafPartition && dimension == that.dimension && id.equals(that.id)
                && region.equals(that.region) && Objects.equals(parentPartitionId, that.parentPartitionId)
                && childPartitionIds.equals(that.childPartitionIds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, region, leafPartition, parentPartitionId, childPartitionIds, dimension);
    }

    @Override
    public String toString() {
        return "Partition{id='" + id + "', region=" + region + ", leafPartition=" + leafPartition
                + ", parentPartitionId=" + (parentPartitionId == null ? "null" : "'" + parentPartitionId + "'")
                + ", childPartitionIds=" + childPartitionIds + ", dimension=" + dimension + "}";
    }

    /** Builds a partition; {@code id} and {@code region} are required. */
    public static final class Builder {
        private String id;
        private Region region;
        private boolean leafPartition = true;
        private String parentPartitionId;
        private List<String> childPartitionIds = List.of();
        private int dimension = -1;

        private Builder() {
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder region(Region region) {
            this.region = region;
            return this;
        }

        public Builder leafPartition(boolean leafPartition) {
            this.leafPartition = leafPartition;
            return this;
        }

        public Builder parentPartitionId(String parentPartitionId) {
            this.parentPartitionId = parentPartitionId;
            return this;
        }

        public Builder childPartitionIds(List<String> childPartitionIds) {
            this.childPartitionIds = childPartitionIds;
            return this;
        }

        public Builder childPartitionIds(String... childPartitionIds) {
            this.childPartitionIds = childPartitionIds == null ? null : Arrays.asList(childPartitionIds);
            return this;
        }

        public Builder dimension(int dimension) {
            this.dimension = dimension;
            return this;
        }

        /** The partition; NullPointerException for a missing field, IllegalArgumentException for a bad one. */
        public Partition build() {
            return new Partition(this);
        }
    }
}
