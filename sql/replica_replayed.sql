-- Has the standby replayed the WAL up to what it had received when its health was read
-- (sql/replica_health.sql's received)? pgvsearch/store/replicas.py asks for a moment when the
-- only sign of lag is a record just received: its replay, not the age of the last transaction
-- replayed, says how far behind the standby is.
SELECT coalesce(pg_last_wal_replay_lsn() >= %(received)s::pg_lsn, false) AS replayed
