package sleeper.statestore.postgres.sleeper;

import java.lang.reflect.Field;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;

import sleeper.core.partition.PartitionsBuilder;
import sleeper.core.properties.table.TableProperties;
import sleeper.core.statestore.SplitFileReferencesTest;
import sleeper.core.statestore.StateStore;

import static sleeper.core.statestore.testutils.StateStoreUpdatesWrapper.update;

/**
 * Sleeper v0.36's own tests of {@code SplitFileReferences}, the partition splitter's push-down of file
 * references, against this store. The test keeps its store in a private field made by Sleeper's in-memory
 * store, with no method to override: the field is set to this store before each test, with the same
 * partitions and clock.
 */
class SleeperSplitFileReferencesTest extends SplitFileReferencesTest {

    @BeforeEach
    void useThisStore() throws ReflectiveOperationException {
        PartitionsBuilder partitions = (PartitionsBuilder) field("partitions").get(this);
        TableProperties tableProperties = (TableProperties) field("tableProperties").get(this);
        StateStore store = new PostgresTestDatabase.TestTable().stateStore(tableProperties);
        store.fixFileUpdateTime((Instant) field("DEFAULT_UPDATE_TIME").get(null));
        update(store).initialise(partitions.buildList());
        field("store").set(this, store);
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field field = SplitFileReferencesTest.class.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }
}
