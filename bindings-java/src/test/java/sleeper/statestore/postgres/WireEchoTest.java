package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.internal.ModelAccess;
import sleeper.statestore.postgres.internal.NativeTesting;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.CheckFileAssignmentsRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The wire format's two sides agree: every model class's codec writes what Rust decodes and reads what Rust
 * encodes back as answers carry it, equal to what was sent (Java -> Rust -> Java, through the testing library's
 * echo); so do the other values. The error kinds, which only Rust encodes, are {@link ExceptionMappingTest}'s.
 */
class WireEchoTest {
    private static final Instant TIME = Instant.parse("2024-05-06T07:08:09.123Z");
    private static final String UNICODE = "s3://bucket/caf\u00e9/\ud83d\ude00/file.parquet";
    /** Each model class's codec. */
    private static final ModelAccess MODEL = ModelAccess.get();

    private static <T> T echo(int kind, WireWriter encoded, Function<WireReader, T> decode) {
        return decode.apply(new WireReader(NativeTesting.echo(kind, encoded.toBytes())));
    }

    /** {@code value} encoded by its class's codec, decoded by Rust as {@code kind}, encoded back and read. */
    private static <T> T echo(int kind, WireCodec<T> codec, T value) {
        return echo(kind, new WireWriter().write(codec, value), in -> in.read(codec));
    }

    private static FileReference reference() {
        return FileReference.builder().filename(UNICODE).partitionId("L").numberOfRows(Long.MAX_VALUE).jobId("job")
                .lastUpdateTime(TIME).countApproximate(true).onlyContainsDataForThisPartition(false).build();
    }

    @Test
    void rowKeyFields() {
        for (KeyType type : KeyType.values()) {
            RowKeyField field = new RowKeyField("key-" + type.getName(), type);
            assertEquals(field, echo(WireKind.ROW_KEY_FIELD, MODEL.rowKeyField(), field));
        }
    }

    @Test
    void rangesOfEveryKeyType() {
        List<Range> ranges = List.of(Range.of("i", Integer.MIN_VALUE, Integer.MAX_VALUE), Range.from("l", Long.MIN_VALUE),
                Range.of("s", "", UNICODE), Range.of("b", new byte[0], new byte[] {0, -1, 127}));
        for (Range range : ranges) {
            assertEquals(range, echo(WireKind.RANGE, MODEL.range(), range));
        }
    }

    @Test
    void regionsAndPartitions() {
        Region region = Region.of(Range.of("a", 1L, 10L), Range.from("b", "x"));
        assertEquals(region, echo(WireKind.REGION, MODEL.region(), region));
        Partition partition = Partition.builder().id("parent").region(region).leafPartition(false)
                .parentPartitionId("root").childPartitionIds("left", "right").dimension(1).build();
        assertEquals(partition, echo(WireKind.PARTITION, MODEL.partition(), partition));
        Partition root = Partition.builder().id("root").region(region).build();
        assertEquals(root, echo(WireKind.PARTITION, MODEL.partition(), root));
    }

    @Test
    void fileReferencesAndFiles() {
        FileReference reference = reference();
        assertEquals(reference, echo(WireKind.FILE_REFERENCE, MODEL.fileReference(), reference));
        FileReference plain = new FileReference("f", "p", 0);
        assertEquals(plain, echo(WireKind.FILE_REFERENCE, MODEL.fileReference(), plain));
        AllReferencesToAFile file = new AllReferencesToAFile(UNICODE, List.of(reference), TIME);
        assertEquals(file, echo(WireKind.FILE, MODEL.file(), file));
        AllReferencesToAllFiles report = new AllReferencesToAllFiles(List.of(file,
                new AllReferencesToAFile("unreferenced", List.of(), TIME)), true);
        assertEquals(report, echo(NativeTesting.ALL_FILES, MODEL.allFiles(), report));
        AllReferencesToAllFiles empty = new AllReferencesToAllFiles(List.of(), false);
        assertEquals(empty, echo(NativeTesting.ALL_FILES, MODEL.allFiles(), empty));
    }

    @Test
    void requests() {
        SplitFileReferenceRequest split = SplitFileReferenceRequest.splitFileToChildPartitions(reference(), "L1", "L2");
        assertEquals(split, echo(WireKind.SPLIT_REQUEST, MODEL.splitRequest(), split));
        ReplaceFileReferencesRequest replace = new ReplaceFileReferencesRequest("job", "L", List.of("a", UNICODE),
                new FileReference("out", "L", 7));
        assertEquals(replace, echo(WireKind.REPLACE_REQUEST, MODEL.replaceRequest(), replace));
        AssignJobIdRequest assign = new AssignJobIdRequest("job", "L", List.of("a", "b"));
        assertEquals(assign, echo(WireKind.ASSIGN_REQUEST, MODEL.assignRequest(), assign));
        CheckFileAssignmentsRequest check = CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job",
                List.of("a"), "L");
        assertEquals(check, echo(WireKind.CHECK_REQUEST, MODEL.checkRequest(), check));
    }

    @Test
    void keysTimesAndStrings() {
        for (Object key : Arrays.asList(7, 7L, UNICODE, null)) {
            assertEquals(key, echo(NativeTesting.KEY, new WireWriter().key(key, "key"), WireReader::key));
        }
        byte[] bytes = {1, 2, 3};
        assertArrayEquals(bytes, (byte[]) echo(NativeTesting.KEY, new WireWriter().key(bytes, "key"), WireReader::key));
        assertEquals(TIME, echo(NativeTesting.UPDATE_TIME, new WireWriter().time(TIME), WireReader::time));
        assertEquals(TIME, echo(NativeTesting.CUTOFF, new WireWriter().time(TIME), WireReader::time));
        assertEquals(null, echo(NativeTesting.CUTOFF, new WireWriter().time(null), WireReader::time));
        List<String> strings = List.of("", UNICODE, UNICODE, "\u0000");
        assertEquals(strings, echo(NativeTesting.STRINGS, new WireWriter().strings(strings), WireReader::strings));
    }

    private static String coreOptions(ClientOptions options) {
        return new WireReader(NativeTesting.echo(NativeTesting.CLIENT_OPTIONS, options.encode(null))).string();
    }

    @Test
    void clientOptionsSendOnlyWhatTheCallerSet() {
        String defaults = coreOptions(ClientOptions.defaults());
        String oneSet = coreOptions(ClientOptions.builder().maxConnections(4).build());
        assertEquals(defaults.replaceFirst("max_connections: \\d+", "max_connections: 4"), oneSet);
    }

    @Test
    void everyClientOptionReachesTheCore() {
        ClientOptions options = ClientOptions.builder().maxConnections(4).acquireTimeout(Duration.ofSeconds(5))
                .connectTimeout(Duration.ofSeconds(7)).statementTimeout(Duration.ofMillis(1500)).idleTimeout(null)
                .migrate(false).schema("other").statementCache(false).retryMaxAttempts(3)
                .retryInitialBackoff(Duration.ofMillis(50)).retryMaxBackoff(Duration.ofSeconds(2))
                .replicaUrls(List.of("postgresql://standby-1/db", "postgresql://standby-2/db"))
                .replicaWait(Duration.ofMillis(250)).changeFeed(false).serverWaitTimeout(Duration.ofSeconds(9))
                .attemptTimeout(null).callTimeout(Duration.ofSeconds(11)).build();
        String core = coreOptions(options);
        for (String expected : List.of("url: None", "max_connections: 4", "acquire_timeout: 5s",
                "connect_timeout: 7s", "statement_timeout: Some(1.5s)", "idle_timeout: None", "migrate: false",
                "schema: \"other\"", "max_attempts: 3", "initial_backoff: 50ms", "max_backoff: 2s",
                "statement_cache: false", "replica_urls: [\"postgresql://standby-1/db\", \"postgresql://standby-2/db\"]",
                "replica_wait: 250ms", "change_feed: false", "server_wait_timeout: 9s", "attempt_timeout: None",
                "call_timeout: Some(11s)")) {
            assertTrue(core.contains(expected), expected + " in " + core);
        }
    }

    @Test
    void localPostgresOptionsSendOnlyWhatTheCallerSet() {
        String defaults = new WireReader(NativeTesting.echo(NativeTesting.LOCAL_POSTGRES_OPTIONS,
                LocalPostgres.builder().encode())).string();
        assertTrue(defaults.contains("settings: []"), defaults);
        String set = new WireReader(NativeTesting.echo(NativeTesting.LOCAL_POSTGRES_OPTIONS,
                LocalPostgres.builder().durable(true).setting("max_connections", "600").encode())).string();
        assertEquals("LocalPostgresOptions { durable: true, settings: [(\"max_connections\", \"600\")] }", set);
    }
}
