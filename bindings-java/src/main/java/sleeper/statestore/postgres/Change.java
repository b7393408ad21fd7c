package sleeper.statestore.postgres;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireReader;

/**
 * One entry of a table's change feed ({@link PostgresStateStore#readChanges}): a write, as the Sleeper transaction
 * it applied. {@code transactionType()} and {@code transactionJson()} are what
 * {@link PostgresStateStore#applyTransaction} takes, so that a feed can be replayed on another table. Immutable.
 *
 * @param sequence        the entry's number in its table's feed: 1, 2, 3... in the order the writes took effect
 * @param recordedAt      when the write's transaction started, to the microsecond
 * @param transactionType Sleeper's {@code TransactionType} name: ADD_FILES, REPLACE_FILE_REFERENCES, ...
 * @param transactionJson the transaction as Sleeper's {@code TransactionSerDe} writes it, or empty where it was too
 *                        large to record whole (more than 10,000 items or 1 MiB): then only the summary tells of it
 * @param summary         what the transaction names, counted
 */
public record Change(long sequence, Instant recordedAt, String transactionType, Optional<String> transactionJson,
        ChangeSummary summary) {

    public Change {
        Args.notNull(recordedAt, "recordedAt");
        Args.notNull(transactionType, "transactionType");
        Args.notNull(transactionJson, "transactionJson");
        Args.notNull(summary, "summary");
    }

    static List<Change> readList(WireReader in) {
        return in.list(Change::read);
    }

    private static Change read(WireReader in) {
        long sequence = in.i64();
        Instant recordedAt = Instant.EPOCH.plus(in.i64(), ChronoUnit.MICROS);
        String transactionType = in.string();
        Optional<String> transactionJson = Optional.ofNullable(in.string());
        return new Change(sequence, recordedAt, transactionType, transactionJson, ChangeSummary.read(in));
    }
}
