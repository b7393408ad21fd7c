package sleeper.statestore.postgres.sleeper;

import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.transactionlog.TransactionLogFileReferenceStoreTest;
import sleeper.core.statestore.transactionlog.TransactionLogStateStore;

/** Sleeper v0.36's own file reference store tests, every one, against this store. */
class SleeperFileReferenceStoreTest extends TransactionLogFileReferenceStoreTest {
    private final PostgresTestDatabase.TestTable table = new PostgresTestDatabase.TestTable();

    @Override
    protected StateStore stateStore(TransactionLogStateStore.Builder builder) {
        return table.stateStore(tableProperties);
    }
}
