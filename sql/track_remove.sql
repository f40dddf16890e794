-- `pgvsearch untrack` (and `drop` of the collection): the triggers and the queue go; the shared
-- functions stay for other tables.
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP TRIGGER IF EXISTS {truncate_trigger} ON {table};
DROP TABLE IF EXISTS pgvsearch.{queue};
