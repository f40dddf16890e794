-- `pgvsearch untrack`: the trigger and the queue go; the shared function stays for other tables.
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP TABLE IF EXISTS pgvsearch.{queue};
