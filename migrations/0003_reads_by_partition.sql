-- Reads of the references on some partitions (issue 13: a query planner's read, a compaction job's
-- partition) find them through this index instead of reading every reference of the table. Neither
-- column is ever updated, so the updates of commits and assignments stay HOT.
CREATE INDEX file_references_by_partition ON file_references (table_pk, partition_id, filename);
