-- The state of every Sleeper table: its partition tree and its files' references.
-- Designed for the compaction commit storm (docs/design.md): a compaction commit writes only the
-- reference rows of its own inputs and the rows of its new output file, never a row that another
-- commit on other references also writes. So a file row carries no reference count and no
-- last-update time: both are derived from the file's reference rows when read.

CREATE TABLE sleeper_tables (
    table_pk  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_id  text COLLATE "C" NOT NULL UNIQUE,
    -- [{"name": ..., "type": "int" | "long" | "string" | "bytes"}, ...] in dimension order
    row_keys  jsonb NOT NULL
);

CREATE TABLE partitions (
    table_pk      bigint NOT NULL,
    partition_id  text COLLATE "C" NOT NULL,
    is_leaf       boolean NOT NULL,
    parent_id     text COLLATE "C",
    child_ids     text[] COLLATE "C" NOT NULL,
    dimension     integer NOT NULL,
    -- [{"min": v, "max": v | null}, ...] in dimension order; see core/src/store.rs for the encoding
    region        jsonb NOT NULL,
    PRIMARY KEY (table_pk, partition_id)
);

-- One row per file record. Written when the file is added (or is a compaction's output) and when it is
-- garbage collected; never by a commit that merely removes one of its references.
CREATE TABLE files (
    table_pk     bigint NOT NULL,
    filename     text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL,
    -- id of the writing transaction: orders the writes to one file (see update_seq below)
    created_seq  bigint NOT NULL,
    PRIMARY KEY (table_pk, filename)
);

-- One row per (file, partition) that ever had a reference. A removed reference stays as a tombstone
-- (removed = true) carrying the time of its removal, until the file record is deleted: the file's
-- last update time is the updated_at of its row (file or reference) with the highest update_seq, and
-- its reference count is the number of its rows that are not removed.
CREATE TABLE file_references (
    table_pk            bigint NOT NULL,
    filename            text COLLATE "C" NOT NULL,
    partition_id        text COLLATE "C" NOT NULL,
    number_of_rows      bigint NOT NULL,
    job_id              text COLLATE "C",
    count_approximate   boolean NOT NULL,
    only_this_partition boolean NOT NULL,
    removed             boolean NOT NULL,
    updated_at          timestamptz NOT NULL,
    update_seq          bigint NOT NULL,
    PRIMARY KEY (table_pk, filename, partition_id)
) WITH (fillfactor = 70);  -- room for HOT updates: assignment and removal change no indexed column

-- Every write to a table takes this lock shared, and whole-table operations (initialise, clear,
-- delete) take it exclusive, so that they see no write in flight. It is an advisory lock, not a row
-- lock, so shared holders never write a row in common. Raises no_data_found when the table is gone.
-- search_path FROM CURRENT: the migration runs with search_path set to the store's schema, so the body
-- finds sleeper_tables there whatever the caller's search_path.
CREATE FUNCTION lock_table(p_lock_space integer, p_table_pk bigint, p_exclusive boolean) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(p_lock_space, (p_table_pk % 2147483648)::integer);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(p_lock_space, (p_table_pk % 2147483648)::integer);
    END IF;
    -- A new statement, so a new snapshot: sees a delete that committed while this waited for the lock.
    PERFORM 1 FROM sleeper_tables WHERE table_pk = p_table_pk;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % not found', p_table_pk USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
