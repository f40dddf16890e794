-- Where a read DSN leads: a standby (in recovery) or a server that accepts writes; how far
-- its replay is behind; whether it holds the collection's schema. One round trip.
-- caught_up: everything the WAL receiver got has been replayed. On an idle primary nothing
-- new arrives, so the age of the last replayed transaction grows without any real lag: a
-- caught-up standby whose receiver streams is not behind, whatever that age.
-- received: what the WAL receiver has got so far; a standby that is not caught up only because
-- a record has just arrived replays it within moments (pgvsearch/store/replicas.py waits a
-- moment for that, sql/replica_replayed.sql).
-- receiver_pid without receiver_status: the role may not read pg_stat_wal_receiver's details
-- (grant pg_monitor or pg_read_all_stats to see them).
SELECT pg_is_in_recovery() AS in_recovery,
       coalesce(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), false) AS caught_up,
       pg_last_wal_receive_lsn()::text AS received,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS replay_age,
       (SELECT pid FROM pg_stat_wal_receiver) AS receiver_pid,
       (SELECT status FROM pg_stat_wal_receiver) AS receiver_status,
       EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %(schema)s) AS has_collection;
