package sleeper.statestore.postgres.model;

import java.util.Arrays;
import java.util.List;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/** At most one range per row key field. Equality ignores the order of the ranges. */
public final class Region {
    private final List<Range> ranges;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<Region> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, Region value) {
            out.list(Range.WIRE, value.ranges);
        }

        @Override
        public Region read(WireReader in) {
            List<Range> ranges = in.list(Range.WIRE);
            return new Region(ranges, false);
        }
    };

    public Region(List<Range> ranges) {
        this(Args.listOf(ranges, "ranges"), true);
    }

    private Region(List<Range> ranges, boolean validate) {
        this.ranges = ranges;
        if (validate) {
            WireWriter.validate(WireKind.REGION, WIRE, this);
        }
    }

    public static Region of(Range... ranges) {
        return new Region(Arrays.asList(Args.notNull(ranges, "ranges")));
    }

    /** The ranges; read from the store, in row key field order. */
    public List<Range> getRanges() {
        return ranges;
    }

    /** The range on a field, or null. */
    public Range getRange(String fieldName) {
        for (Range range : ranges) {
            if (range.getFieldName().equals(fieldName)) {
                return range;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Region)) {
            return false;
        }
        Region that = (Region) other;
        if (ranges.size() != that.ranges.size()) {
            return false;
        }
        for (Range range : ranges) {
            if (!range.equals(that.getRange(range.getFieldName()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int hash = 0;
        for (Range range : ranges) {
            hash += range.hashCode();
        }
        return hash;
    }

    @Override
    public String toString() {
        return "Region" + ranges;
    }
}
