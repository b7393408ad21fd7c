-- Writes in two round trips (docs/design.md, "Optimistic writes"). A write call reads the rows it
-- needs in one statement, without locks, and checks the contract against them in the client. Then one
-- of the functions below, called as a statement of its own (so it commits in the same round trip),
-- takes the table lock, locks the rows the call read and checks each is as it was read, and only then
-- writes. A row that changed in between makes the function write nothing and return false, and the
-- client runs the call again from its read. So no row lock is ever held while the client or the
-- network is waiting, and the call takes effect as if run whole at the moment the function runs.
--
-- Every function plans its statements once per session (plan_cache_mode = force_generic_plan): each
-- looks its keys up by index probes whatever the parameters, and PostgreSQL would otherwise plan
-- them again on each of a connection's first calls, or on every call if the generic plan's estimate
-- never wins.
--
-- Versions: a reference row's update_seq and a file row's created_seq are the id of the transaction
-- that last wrote the row, which no other write can reuse. The partition tree has one version for the
-- whole table, since a split or an extension is checked against the whole tree.

ALTER TABLE sleeper_tables ADD COLUMN partitions_version bigint NOT NULL DEFAULT 0;

-- The call read the files in p_files (created_seq in p_file_seqs, NULL for a file it found absent),
-- the reference rows at the pairs of p_ref_files and p_ref_partitions (update_seq in p_ref_seqs, NULL
-- for absent) and the reference rows it changes (p_upd_*, read at p_upd_seqs), each list in key order.
-- If all are still so, writes the new files, the final state of the changed reference rows and the new
-- reference rows (p_ins_*), all with the time p_at (NULL: the transaction's, to the millisecond) and
-- this transaction's id. A row that changed makes it write nothing: false, or, once the update has
-- run, the error rows_changed (SQLSTATE SL001), which rolls the update back.
CREATE FUNCTION write_file_changes(
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
    seq_ bigint := pg_current_xact_id()::text::bigint;
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, false);
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

-- The start of a large add (core/src/store/bulk.rs): takes the table lock, inserts the new files'
-- rows, and gives the version and time (p_at, or the transaction's to the millisecond) that the
-- references the client then copies in the same transaction must carry. A file that exists already
-- fails it with a unique violation.
CREATE FUNCTION start_bulk_add(p_lock_space integer, p_table_pk bigint, p_at timestamptz, p_files text[])
RETURNS TABLE (seq bigint, at timestamptz)
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, false);
    seq := pg_current_xact_id()::text::bigint;
    at := COALESCE(p_at, date_trunc('milliseconds', now()));
    INSERT INTO files (table_pk, filename, created_at, created_seq)
    SELECT p_table_pk, f.filename, at, seq FROM unnest(p_files) AS f(filename);
    RETURN NEXT;
END
$$;

-- Garbage collection: deletes the named files (in key order) with their removed references, if every
-- one of them still exists and still has no live reference; false, deleting nothing, otherwise.
CREATE FUNCTION delete_unreferenced_files(p_lock_space integer, p_table_pk bigint, p_files text[])
RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    found_ integer;
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, false);
    SELECT count(*) INTO found_ FROM (
        SELECT f.filename FROM unnest(p_files) WITH ORDINALITY AS n(filename, ord)
        CROSS JOIN LATERAL (
            SELECT f.filename FROM files f WHERE f.table_pk = p_table_pk AND f.filename = n.filename
            OFFSET 0 FOR UPDATE
        ) f
    ) locked;
    IF found_ <> cardinality(p_files) THEN
        RETURN false;
    END IF;
    -- A new snapshot, after the locks: a reference added since the read would be seen here.
    PERFORM 1 FROM unnest(p_files) AS n(filename)
    WHERE EXISTS (SELECT 1 FROM file_references r
                  WHERE r.table_pk = p_table_pk AND r.filename = n.filename AND NOT r.removed);
    IF FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM file_references r USING (
        SELECT k.ctid AS row_id FROM unnest(p_files) AS n(filename)
        CROSS JOIN LATERAL (
            SELECT k.ctid FROM file_references k
            WHERE k.table_pk = p_table_pk AND k.filename = n.filename OFFSET 0
        ) k
    ) d WHERE r.ctid = d.row_id;
    DELETE FROM files f USING (
        SELECT k.ctid AS row_id FROM unnest(p_files) AS n(filename)
        CROSS JOIN LATERAL (
            SELECT k.ctid FROM files k WHERE k.table_pk = p_table_pk AND k.filename = n.filename OFFSET 0
        ) k
    ) d WHERE f.ctid = d.row_id;
    RETURN true;
END
$$;

-- Stores partitions over their rows (p_upd_*) and inserts new ones (p_new_*), if the tree is still at
-- the version the call read; then moves the version on. Partition writes wait for each other on the
-- table's row, which no file write locks.
CREATE FUNCTION write_partitions(
    p_lock_space integer, p_table_pk bigint, p_version bigint,
    p_upd_ids text[], p_upd_leaf boolean[], p_upd_parents text[], p_upd_children jsonb[],
    p_upd_dimensions integer[], p_upd_regions jsonb[],
    p_new_ids text[], p_new_leaf boolean[], p_new_parents text[], p_new_children jsonb[],
    p_new_dimensions integer[], p_new_regions jsonb[]
) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, false);
    PERFORM 1 FROM sleeper_tables
    WHERE table_pk = p_table_pk AND partitions_version = p_version FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE partitions p SET is_leaf = x.is_leaf, parent_id = x.parent,
        child_ids = ARRAY(SELECT jsonb_array_elements_text(x.children)), dimension = x.dimension,
        region = x.region
    FROM (
        SELECT x.*, found.row_id
        FROM unnest(p_upd_ids, p_upd_leaf, p_upd_parents, p_upd_children, p_upd_dimensions, p_upd_regions)
             AS x(id, is_leaf, parent, children, dimension, region)
        CROSS JOIN LATERAL (
            SELECT k.ctid AS row_id FROM partitions k
            WHERE k.table_pk = p_table_pk AND k.partition_id = x.id OFFSET 0
        ) found
    ) x
    WHERE p.ctid = x.row_id;
    INSERT INTO partitions (table_pk, partition_id, is_leaf, parent_id, child_ids, dimension, region)
    SELECT p_table_pk, x.id, x.is_leaf, x.parent, ARRAY(SELECT jsonb_array_elements_text(x.children)),
           x.dimension, x.region
    FROM unnest(p_new_ids, p_new_leaf, p_new_parents, p_new_children, p_new_dimensions, p_new_regions)
         AS x(id, is_leaf, parent, children, dimension, region);
    UPDATE sleeper_tables SET partitions_version = partitions_version + 1 WHERE table_pk = p_table_pk;
    RETURN true;
END
$$;

-- Whole-table writes, each waiting for every other write on the table and holding them off. They move
-- the partition version on whenever they touch partitions, so that a split read before them is re-run.

-- Replaces the partitions by the given tree (arrays as write_partitions's p_new_*); false, changing
-- nothing, if the table has a file record.
CREATE FUNCTION replace_partitions(
    p_lock_space integer, p_table_pk bigint,
    p_ids text[], p_leaf boolean[], p_parents text[], p_children jsonb[],
    p_dimensions integer[], p_regions jsonb[]
) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, true);
    PERFORM 1 FROM files WHERE table_pk = p_table_pk LIMIT 1;
    IF FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM partitions WHERE table_pk = p_table_pk;
    -- Inserts the tree and moves the version on; the exclusive lock held covers its shared one.
    RETURN write_partitions(p_lock_space, p_table_pk,
        (SELECT partitions_version FROM sleeper_tables WHERE table_pk = p_table_pk),
        '{}', '{}', '{}', '{}', '{}', '{}', p_ids, p_leaf, p_parents, p_children, p_dimensions, p_regions);
END
$$;

-- Removes the table's files and references, its partitions, or both.
CREATE FUNCTION clear_table(p_lock_space integer, p_table_pk bigint, p_files boolean, p_partitions boolean)
RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM lock_table(p_lock_space, p_table_pk, true);
    IF p_files THEN
        DELETE FROM file_references WHERE table_pk = p_table_pk;
        DELETE FROM files WHERE table_pk = p_table_pk;
    END IF;
    IF p_partitions THEN
        DELETE FROM partitions WHERE table_pk = p_table_pk;
        UPDATE sleeper_tables SET partitions_version = partitions_version + 1 WHERE table_pk = p_table_pk;
    END IF;
    RETURN true;
END
$$;

-- Deletes the table with that id and everything in it; raises no_data_found if there is none.
CREATE FUNCTION delete_table(p_lock_space integer, p_table_id text) RETURNS boolean
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
    DELETE FROM sleeper_tables WHERE table_pk = pk;
    RETURN true;
END
$$;
