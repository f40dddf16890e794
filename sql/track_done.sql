-- The claimed changes are written: remove them (in the same transaction as the documents when the
-- source is the collection's database).
DELETE FROM pgvsearch.{queue}
WHERE queue_id = ANY(%(queue_ids)s::bigint[]);
