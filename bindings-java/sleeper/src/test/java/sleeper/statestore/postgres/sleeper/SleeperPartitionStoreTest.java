package sleeper.statestore.postgres.sleeper;

import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.transactionlog.TransactionLogPartitionStoreTest;
import sleeper.core.statestore.transactionlog.TransactionLogStateStore;

/** Sleeper v0.36's own partition store tests, every one, against this store. */
class SleeperPartitionStoreTest extends TransactionLogPartitionStoreTest {
    private final PostgresTestDatabase.TestTable table = new PostgresTestDatabase.TestTable();

    @Override
    protected StateStore stateStore(TransactionLogStateStore.Builder builder) {
        return table.stateStore(tableProperties);
    }
}
