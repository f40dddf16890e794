-- A tracked ingest claims queued changes: rows no other worker holds (SKIP LOCKED), of keys no
-- other worker is embedding (a transaction-level advisory lock per key, so two versions of one
-- row are never embedded at once and the newer text always wins). Held until the transaction
-- that writes their documents commits, which also deletes them (sql/track_done.sql).
WITH picked AS MATERIALIZED (
    SELECT queue_id, key
    FROM pgvsearch.{queue}
    ORDER BY queue_id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
SELECT queue_id, key
FROM picked
WHERE pg_try_advisory_xact_lock(hashtext(%(queue)s), hashtext(key::text))
ORDER BY queue_id;
