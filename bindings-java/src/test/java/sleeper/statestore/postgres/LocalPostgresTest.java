package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.StateStoreConnectionException;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.exception.StateStoreException;

class LocalPostgresTest {

    @Test
    void aLocalClusterAcceptsClientsUntilClosed() throws StateStoreException {
        String url;
        try (LocalPostgres postgres = LocalPostgres.start()) {
            url = postgres.getUrl();
            assertTrue(url.startsWith("postgresql://"), url);
            try (PostgresStateStoreClient client = PostgresStateStoreClient.connect(url)) {
                client.createTable("t", TestDatabase.longKey()).close();
                assertEquals(List.of("t"), client.listTables());
            }
        }
        assertThrows(StateStoreConnectionException.class, () -> PostgresStateStoreClient.connect(url));
    }

    @Test
    void aClosedLocalClusterHasNoUrl() throws StateStoreException {
        LocalPostgres postgres = LocalPostgres.start();
        postgres.close();
        assertThrows(IllegalStateException.class, postgres::getUrl);
        postgres.close();
    }

    @Test
    void aDurableClusterWithSettingsStarts() throws StateStoreException {
        try (LocalPostgres postgres = LocalPostgres.builder().durable(true).setting("max_connections", "50").start();
                PostgresStateStoreClient client = PostgresStateStoreClient.connect(postgres.getUrl())) {
            assertEquals(List.of(), client.listTables());
        }
    }

    @Test
    void aClientReadsItsOwnWritesThroughAReplicaOfALocalCluster() throws StateStoreException {
        try (LocalPostgres primary = LocalPostgres.start();
                LocalPostgres replica = primary.startReplica();
                PostgresStateStoreClient client = PostgresStateStoreClient.connect(primary.getUrl(),
                        ClientOptions.builder().replicaUrls(List.of(replica.getUrl()))
                                .replicaWait(Duration.ofSeconds(10)).build());
                PostgresStateStore store = client.createTable("replicated", TestDatabase.longKey())) {
            store.initialise();
            for (int i = 0; i < 20; i++) {
                store.addFile(new FileReference("file-" + i, "root", 1));
                assertEquals(i + 1, store.getFileReferences().size());
            }
        }
    }

    @Test
    void replicaUrlsAreNotShownByClientOptions() {
        ClientOptions options = ClientOptions.builder()
                .replicaUrls(List.of("postgresql://user:secret@standby/db")).build();
        assertEquals("ClientOptions{replicaUrls=1 URLs}", options.toString());
    }

    @Test
    void aSettingTheServerRefusesReachesIt() {
        assertThrows(StateStoreException.class,
                () -> LocalPostgres.builder().setting("no_such_setting", "1").start().close());
    }
}
