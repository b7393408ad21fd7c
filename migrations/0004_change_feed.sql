-- Every table's change feed (docs/design.md, "The change feed"): each write a client records is also
-- an entry here, inserted by the write's own statement, so in its transaction. A writer only inserts:
-- it takes no lock and updates no row that another write takes or updates, so disjoint commits do
-- not contend on the feed.
--
-- Entries are numbered 1, 2, 3... per table by the readers, in the order of their transactions'
-- ids, and only once every transaction with a smaller id has ended (number_changes): so a number,
-- once given, is never preceded by an entry that commits later, and a reader that asks for the
-- entries after N never skips one. Ids order writes that depend on each other as they happened,
-- because a write takes its id only after it holds the table lock and after its read (write
-- functions assign it at their first write after lock_table; the client takes the table lock in the
-- statement before write_file_changes, which assigns it on entry): so a write that waited for
-- another, or read what another wrote, has the larger id.

CREATE TABLE changes (
    table_pk     bigint NOT NULL,
    -- The entry's number in its table's feed; NULL until number_changes gives it.
    seq          bigint,
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- The entry's place among those of its transaction, from 1.
    position     integer NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    -- Sleeper's transaction type (ADD_FILES, ...).
    kind         text NOT NULL,
    -- The transaction as Sleeper's JSON; NULL for a transaction too large to record whole.
    transaction  text,
    -- Counts of what the transaction names: {"files": n, "references": n, "jobs": n, "partitions": n}.
    summary      jsonb NOT NULL
);

-- The entries waiting for their numbers, in the order they get them.
CREATE INDEX changes_waiting ON changes (table_pk, txid, position) WHERE seq IS NULL;
-- The numbered entries, as readers ask for them.
CREATE UNIQUE INDEX changes_numbered ON changes (table_pk, seq) WHERE seq IS NOT NULL;

-- The last number given in each table's feed. Only readers write it, one at a time per table.
CREATE TABLE change_feeds (
    table_pk  bigint PRIMARY KEY,
    last_seq  bigint NOT NULL
);

-- Records a write's entries if p_written (the value of the write function called as the last
-- argument, so evaluated first), and returns p_written.
CREATE FUNCTION record_changes(
    p_table_pk bigint, p_kinds text[], p_transactions text[], p_summaries jsonb[], p_written boolean
) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF p_written THEN
        INSERT INTO changes (table_pk, position, kind, transaction, summary)
        SELECT p_table_pk, c.position, c.kind, c.transaction, c.summary
        FROM unnest(p_kinds, p_transactions, p_summaries) WITH ORDINALITY
             AS c(kind, transaction, summary, position);
    END IF;
    RETURN p_written;
END
$$;

-- Numbers the table's waiting entries whose transactions, and all transactions with smaller ids, have
-- ended: a snapshot's xmin is the smallest id still running, so no entry with a smaller id can commit
-- after it. Readers number one at a time per table (the row lock on change_feeds); a reader finding
-- nothing to number takes no lock and writes nothing.
CREATE FUNCTION number_changes(p_table_pk bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
    last_ bigint;
    added bigint;
BEGIN
    PERFORM 1 FROM changes WHERE table_pk = p_table_pk AND seq IS NULL AND txid < horizon LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO change_feeds (table_pk, last_seq) VALUES (p_table_pk, 0) ON CONFLICT (table_pk) DO NOTHING;
    SELECT last_seq INTO last_ FROM change_feeds WHERE table_pk = p_table_pk FOR UPDATE;
    -- A new statement, so a new snapshot: it sees every entry numbered by a reader this one waited for.
    UPDATE changes c SET seq = last_ + w.n
    FROM (
        SELECT ctid AS row_id, row_number() OVER (ORDER BY txid, position) AS n
        FROM changes WHERE table_pk = p_table_pk AND seq IS NULL AND txid < horizon
    ) w
    WHERE c.ctid = w.row_id;
    GET DIAGNOSTICS added = ROW_COUNT;
    UPDATE change_feeds SET last_seq = last_ + added WHERE table_pk = p_table_pk;
END
$$;

-- The table's entries numbered after p_after, in order, at most p_limit, once the entries that can be
-- numbered are; raises no_data_found if the table is gone.
CREATE FUNCTION changes_after(p_table_pk bigint, p_after bigint, p_limit integer)
RETURNS TABLE (seq bigint, recorded_at timestamptz, kind text, transaction text, summary jsonb)
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM 1 FROM sleeper_tables t WHERE t.table_pk = p_table_pk;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % not found', p_table_pk USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM number_changes(p_table_pk);
    RETURN QUERY
        SELECT c.seq, c.recorded_at, c.kind, c.transaction, c.summary FROM changes c
        WHERE c.table_pk = p_table_pk AND c.seq > p_after ORDER BY c.seq LIMIT p_limit;
END
$$;

-- A table's feed goes with it.
CREATE OR REPLACE FUNCTION delete_table(p_lock_space integer, p_table_id text) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pk bigint;
BEGIN
    SELECT table_pk INTO pk FROM sleeper_tables WHERE table_id = p_table_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % not found', p_table_id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM lock_table(p_lock_space, pk, true);
    DELETE FROM file_references WHERE table_pk = pk;
    DELETE FROM files WHERE table_pk = pk;
    DELETE FROM partitions WHERE table_pk = pk;
    -- One statement for each of the two partial indexes.
    DELETE FROM changes WHERE table_pk = pk AND seq IS NULL;
    DELETE FROM changes WHERE table_pk = pk AND seq IS NOT NULL;
    DELETE FROM change_feeds WHERE table_pk = pk;
    DELETE FROM sleeper_tables WHERE table_pk = pk;
    RETURN true;
END
$$;
