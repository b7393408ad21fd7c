package sleeper.statestore.postgres.sleeper;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sleeper.core.properties.instance.InstanceProperties;
import sleeper.core.properties.table.TableProperties;
import sleeper.core.schema.type.LongType;
import sleeper.core.schema.type.StringType;
import sleeper.core.statestore.FileReference;
import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.StateStoreException;
import sleeper.core.statestore.StateStoreProvider;
import sleeper.statestore.postgres.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sleeper.core.properties.table.TableProperty.TABLE_ID;
import static sleeper.core.properties.testutils.InstancePropertiesTestHelper.createTestInstanceProperties;
import static sleeper.core.properties.testutils.TablePropertiesTestHelper.createTestTableProperties;
import static sleeper.core.schema.SchemaTestHelper.createSchemaWithKey;
import static sleeper.core.statestore.testutils.StateStoreUpdatesWrapper.update;

class PostgresStateStoreFactoryTest {
    private final InstanceProperties instanceProperties = createTestInstanceProperties();

    private TableProperties table(String tableId, sleeper.core.schema.type.PrimitiveType keyType) {
        TableProperties tableProperties = createTestTableProperties(instanceProperties,
                createSchemaWithKey("key", keyType));
        tableProperties.set(TABLE_ID, tableId);
        return tableProperties;
    }

    @Test
    void aTableIsCreatedOnFirstUseWithTheSchemasRowKeys() {
        TableProperties tableProperties = table(PostgresTestDatabase.uniqueTableId(), new LongType());

        StateStore store = PostgresTestDatabase.factory().getStateStore(tableProperties);
        update(store).initialise(tableProperties.getSchema());

        assertThat(store.getAllPartitions()).hasSize(1);
        assertThat(store.getAllPartitions().get(0).getRegion().getRange("key").getMin()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void everyStoreOfOneTableSeesTheSameState() {
        TableProperties tableProperties = table(PostgresTestDatabase.uniqueTableId(), new LongType());
        StateStoreProvider provider = StateStoreProvider.noCacheSizeLimit(PostgresTestDatabase.factory());
        StateStore first = provider.getStateStore(tableProperties);
        update(first).initialise(tableProperties.getSchema());

        update(first).addFile(FileReference.builder().filename("f").partitionId("root").numberOfRows(1L)
                .countApproximate(false).onlyContainsDataForThisPartition(true).build());

        StateStore second = PostgresTestDatabase.factory().getStateStore(tableProperties);
        assertThat(second.getFileReferences()).extracting(FileReference::getFilename).containsExactly("f");
    }

    @Test
    void aTableWhoseRowKeysDifferFromTheSchemaIsRefused() {
        String tableId = PostgresTestDatabase.uniqueTableId();
        PostgresTestDatabase.factory().getStateStore(table(tableId, new LongType()));

        assertThatThrownBy(() -> PostgresTestDatabase.factory().getStateStore(table(tableId, new StringType())))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining("has the row key fields");
    }

    @Test
    void aDeploymentNamesItsDatabaseInTheInstanceProperties() throws Exception {
        instanceProperties.getProperties().setProperty(PostgresStateStoreFactory.URL, TestDatabase.url());
        TableProperties tableProperties = table(PostgresTestDatabase.uniqueTableId(), new LongType());

        try (PostgresStateStoreFactory factory = PostgresStateStoreFactory.fromInstanceProperties(instanceProperties)) {
            StateStore store = factory.getStateStore(tableProperties);
            update(store).initialise(tableProperties.getSchema());
            assertThat(store.getLeafPartitions()).hasSize(1);
        }
    }

    @Test
    void theUrlMayBeKeptInAFile(@TempDir Path folder) throws Exception {
        Path secret = Files.writeString(folder.resolve("url"), TestDatabase.url() + "\n");
        instanceProperties.getProperties().setProperty(PostgresStateStoreFactory.URL_FILE, secret.toString());

        try (PostgresStateStoreFactory factory = PostgresStateStoreFactory.fromInstanceProperties(instanceProperties)) {
            assertThat(factory.getStateStore(table(PostgresTestDatabase.uniqueTableId(), new LongType())).hasNoFiles())
                    .isTrue();
        }
    }

    @Test
    void anEnvironmentVariableThatIsNotSetIsAClearError() {
        instanceProperties.getProperties().setProperty(PostgresStateStoreFactory.URL_ENV, "SLEEPER_PG_TEST_UNSET_URL");

        assertThatThrownBy(() -> PostgresStateStoreFactory.fromInstanceProperties(instanceProperties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SLEEPER_PG_TEST_UNSET_URL");
    }

    @Test
    void noDatabaseConfiguredIsAClearError() {
        assertThatThrownBy(() -> PostgresStateStoreFactory.fromInstanceProperties(instanceProperties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PostgresStateStoreFactory.URL);
    }

    @Test
    void aPartitionTheStoreDoesNotHoldRaisesSleepersPlainException() {
        TableProperties tableProperties = table(PostgresTestDatabase.uniqueTableId(), new LongType());
        StateStore store = PostgresTestDatabase.factory().getStateStore(tableProperties);

        assertThatThrownBy(() -> store.getPartition("nope"))
                .isExactlyInstanceOf(StateStoreException.class)
                .hasMessage("Partition not found: nope");
    }

    @Test
    void theLargestInstantIsAValidGarbageCollectionCutoff() {
        TableProperties tableProperties = table(PostgresTestDatabase.uniqueTableId(), new LongType());
        StateStore store = PostgresTestDatabase.factory().getStateStore(tableProperties);

        assertThat(store.getReadyForGCFilenamesBefore(java.time.Instant.ofEpochMilli(Long.MAX_VALUE)).toList())
                .isEmpty();
    }
}
