-- Every table's change feed (docs/design.md, "The change feed"): each write a client records is also
-- an entry here, inserted by the write's own statement (core/src/feed.rs), so in its transaction. A
-- writer only inserts: it takes no lock and updates no row that another write takes or updates, so
-- disjoint commits do not contend on the feed.
--
-- Entries are numbered 1, 2, 3... per table by the readers, in the order of their transactions'
-- ids, and only once every transaction with a smaller id has ended (number_changes): so a number,
-- once given, is never preceded by an entry that commits later, and a reader that asks for the
-- entries after N never skips one. Ids order writes that depend on each other as they happened,
-- because a write takes its id only after it holds the table lock and after its read (every write
-- function assigns it at its first write after lock_table; write_file_changes, below, now too): so
-- a write that waited for another, or read what another wrote, has the larger id.

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

-- The last number given in each table's feed, and until when a follower waits on it (writers send
-- wake-ups only until then). Only readers write it.
CREATE TABLE change_feeds (
    table_pk        bigint PRIMARY KEY,
    last_seq        bigint NOT NULL,
    followed_until  timestamptz
);

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
-- numbered are; raises no_data_found if the table is gone. A follower that waits for entries passes
-- p_follow_for: writers then wake the table's followers until that long from now.
CREATE FUNCTION changes_after(p_table_pk bigint, p_after bigint, p_limit integer, p_follow_for interval)
RETURNS TABLE (seq bigint, recorded_at timestamptz, kind text, transaction text, summary jsonb)
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM 1 FROM sleeper_tables t WHERE t.table_pk = p_table_pk;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % not found', p_table_pk USING ERRCODE = 'no_data_found';
    END IF;
    IF p_follow_for IS NOT NULL THEN
        INSERT INTO change_feeds AS f (table_pk, last_seq, followed_until)
        VALUES (p_table_pk, 0, now() + p_follow_for)
        ON CONFLICT (table_pk) DO UPDATE SET followed_until = EXCLUDED.followed_until
        WHERE f.followed_until IS NULL OR f.followed_until < EXCLUDED.followed_until - p_follow_for / 2;
    END IF;
    PERFORM number_changes(p_table_pk);
    RETURN QUERY
        SELECT c.seq, c.recorded_at, c.kind, c.transaction, c.summary FROM changes c
        WHERE c.table_pk = p_table_pk AND c.seq > p_after ORDER BY c.seq LIMIT p_limit;
END
$$;

-- As in 0002, but the transaction id is taken once the table lock is held, not on entry: a write
-- that waited for a clear or a replacement of the partitions then has a larger id than it.
CREATE OR REPLACE FUNCTION write_file_changes(
    p_lock_space integer, p_table_pk bigint, p_at timestamptz,
    p_files text[], p_file_seqs bigint[],
    p_ref_files text[], p_ref_partitions text[], p_ref_seqs bigint[],
    p_new_files text[],
    p_upd_files text[], p_upd_partitions text[], p_upd_rows bigint[], p_upd_jobs text[],
    p_upd_approximate boolean[], p_upd_only_this boolean[], p_upd_removed boolean[], p_upd_seqs bigint[],
    p_ins_files text[], p_ins_partitions text[], p_ins_rows bigint[], p_ins_jobs text[],
    p_ins_approximate boolean[], p_ins_only_this boolean[], p_ins_removed boolean[]
) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    unchanged boolean;
    updated_ bigint;
    at_ timestamptz := COALESCE(p_at, date_trunc('milliseconds', now()));
    seq_ bigint;
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, false);
    seq_ := pg_current_xact_id()::text::bigint;
    -- Locks the reference rows in p_ref_* that were read present, key by key in key order (the LATERAL
    -- probes of files.rs's read): the client lists them only when the call read rows it does not
    -- change, and then lists the changed ones too, so that rows are locked in one order. The changed
    -- rows are otherwise locked, and checked, by their update below. File rows are not locked: many
    -- commits name the same input files, and a lock, even a shared one, is a write to the row. Their
    -- existence follows from the references: a file with a live reference is never deleted, and the
    -- checks below see any change.
    IF cardinality(array_remove(p_ref_seqs, NULL)) > 0 THEN
        SELECT bool_and(r.update_seq IS NOT DISTINCT FROM w.seq) INTO unchanged
        FROM unnest(p_ref_files, p_ref_partitions, p_ref_seqs) WITH ORDINALITY AS w(filename, partition_id, seq, ord)
        LEFT JOIN LATERAL (
            SELECT r.update_seq FROM file_references r
            WHERE r.table_pk = p_table_pk AND r.filename = w.filename AND r.partition_id = w.partition_id
              AND w.seq IS NOT NULL
            OFFSET 0 FOR UPDATE
        ) r ON true;
        IF NOT COALESCE(unchanged, true) THEN
            RETURN false;
        END IF;
    END IF;
    -- Plain UPDATE and INSERT rather than an upsert: the call knows which rows exist. Each statement
    -- only when there is something to do: a statement costs the server even when empty.
    IF cardinality(p_upd_files) > 0 THEN
        UPDATE file_references r SET number_of_rows = x.number_of_rows, job_id = x.job_id,
            count_approximate = x.count_approximate, only_this_partition = x.only_this_partition,
            removed = x.removed, updated_at = at_, update_seq = seq_
        FROM (
            SELECT x.*, found.row_id
            FROM unnest(p_upd_files, p_upd_partitions, p_upd_rows, p_upd_jobs, p_upd_approximate,
                        p_upd_only_this, p_upd_removed, p_upd_seqs)
                 AS x(filename, partition_id, number_of_rows, job_id, count_approximate, only_this_partition, removed, seq)
            CROSS JOIN LATERAL (
                SELECT k.ctid AS row_id FROM file_references k
                WHERE k.table_pk = p_table_pk AND k.filename = x.filename AND k.partition_id = x.partition_id
                OFFSET 0
            ) found
        ) x
        WHERE r.ctid = x.row_id AND r.update_seq = x.seq;
        GET DIAGNOSTICS updated_ = ROW_COUNT;
        IF updated_ <> cardinality(p_upd_files) THEN
            RAISE EXCEPTION 'rows changed since the call read them' USING ERRCODE = 'SL001';
        END IF;
    END IF;
    -- A new statement, so a new snapshot, taken once every call holding a lock on a reference row this
    -- one read has committed: the file rows are as read, and the reference rows read absent are still
    -- absent. (The client leaves out of these lists the rows it inserts: their primary keys refuse
    -- them if another call inserted them first.)
    IF cardinality(p_files) > 0 OR array_position(p_ref_seqs, NULL) IS NOT NULL THEN
        PERFORM 1
        WHERE EXISTS (
            SELECT 1 FROM unnest(p_files, p_file_seqs) AS w(filename, seq)
            WHERE (SELECT f.created_seq FROM files f
                   WHERE f.table_pk = p_table_pk AND f.filename = w.filename) IS DISTINCT FROM w.seq)
        OR EXISTS (
            SELECT 1 FROM unnest(p_ref_files, p_ref_partitions, p_ref_seqs) AS w(filename, partition_id, seq)
            WHERE w.seq IS NULL AND EXISTS (
                SELECT 1 FROM file_references r
                WHERE r.table_pk = p_table_pk AND r.filename = w.filename AND r.partition_id = w.partition_id));
        IF FOUND THEN
            RAISE EXCEPTION 'rows changed since the call read them' USING ERRCODE = 'SL001';
        END IF;
    END IF;
    IF cardinality(p_new_files) > 0 THEN
        INSERT INTO files (table_pk, filename, created_at, created_seq)
        SELECT p_table_pk, f.filename, at_, seq_ FROM unnest(p_new_files) AS f(filename);
    END IF;
    IF cardinality(p_ins_files) > 0 THEN
        INSERT INTO file_references (table_pk, filename, partition_id, number_of_rows, job_id,
            count_approximate, only_this_partition, removed, updated_at, update_seq)
        SELECT p_table_pk, y.filename, y.partition_id, y.number_of_rows, y.job_id, y.count_approximate,
               y.only_this_partition, y.removed, at_, seq_
        FROM unnest(p_ins_files, p_ins_partitions, p_ins_rows, p_ins_jobs, p_ins_approximate,
                    p_ins_only_this, p_ins_removed)
             AS y(filename, partition_id, number_of_rows, job_id, count_approximate, only_this_partition, removed);
    END IF;
    RETURN true;
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
