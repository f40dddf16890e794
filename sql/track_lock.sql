-- A tracked batch shares the collection's ingest lock (tracked workers run side by side; a file
-- ingest, which holds it alone, waits for them or makes them wait). Released at commit.
SELECT CASE WHEN %(wait)s THEN (SELECT true FROM pg_advisory_xact_lock_shared(%(key)s))
            ELSE pg_try_advisory_xact_lock_shared(%(key)s) END AS locked;
