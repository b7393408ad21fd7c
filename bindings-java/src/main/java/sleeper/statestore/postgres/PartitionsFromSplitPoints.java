package sleeper.statestore.postgres;

import java.util.List;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.RowKeyField;

/**
 * Sleeper's initial partition tree from sorted split points on the first row key field: N split points
 * give N+1 leaves, joined pairwise up to one root; no split points give the single root partition.
 * Pass the result to {@link PostgresStateStore#initialise(List)}.
 */
public final class PartitionsFromSplitPoints {
    private PartitionsFromSplitPoints() {
    }

    /**
     * @param rowKeys the table's row key fields
     * @param splitPoints values of the first field's type (Integer, Long, String or byte[]), strictly increasing
     * @return the partitions, leaves first
     * @throws IllegalArgumentException for a split point of the wrong type or out of order
     */
    public static List<Partition> construct(List<RowKeyField> rowKeys, List<?> splitPoints) {
        List<RowKeyField> fields = Args.listOf(rowKeys, "rowKeys");
        List<?> points = Args.listOf(splitPoints, "splitPoints");
        WireWriter args = new WireWriter().rowKeyFields(fields).i32(points.size());
        for (Object point : points) {
            args.key(point, "split point");
        }
        return new WireReader(Native.partitionsFromSplitPoints(args.toBytes())).partitions();
    }
}
