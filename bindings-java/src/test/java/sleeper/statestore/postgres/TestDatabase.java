package sleeper.statestore.postgres;

import java.util.List;
import java.util.UUID;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.RowKeyField;

/**
 * The database every test uses: {@code DATABASE_URL} when set, otherwise one {@link LocalPostgres} for the
 * whole test run, stopped when the JVM exits. Each test makes tables of its own, with unique ids. Shared with
 * the Sleeper module's tests through this project's tests jar.
 */
public final class TestDatabase {
    private static String url;

    private TestDatabase() {
    }

    public static synchronized String url() throws StateStoreException {
        if (url == null) {
            String fromEnvironment = System.getenv("DATABASE_URL");
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                url = fromEnvironment;
            } else {
                LocalPostgres postgres = LocalPostgres.start();
                Runtime.getRuntime().addShutdownHook(new Thread(postgres::close, "stop-local-postgres"));
                url = postgres.getUrl();
            }
        }
        return url;
    }

    public static PostgresStateStoreClient connect() throws StateStoreException {
        return PostgresStateStoreClient.connect(url());
    }

    public static String uniqueTableId() {
        return uniqueTableId("java-test");
    }

    public static String uniqueTableId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    public static List<RowKeyField> longKey() {
        return List.of(new RowKeyField("key", KeyType.LONG));
    }
}
