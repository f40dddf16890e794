-- Is this database a Citus coordinator pgvsearch can shard? The functions `init --distributed`
-- calls, and the catalog of distributed tables; the citus extension's version when installed.
-- For each of the registry and a collection's documents table: is it distributed already.
SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'create_distributed_table' AND pg_function_is_visible(oid))
       AND EXISTS (SELECT FROM pg_proc WHERE proname = 'create_reference_table' AND pg_function_is_visible(oid))
       AND to_regclass('pg_dist_partition') IS NOT NULL AS available,
       (SELECT extversion FROM pg_extension WHERE extname = 'citus') AS version
