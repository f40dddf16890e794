-- Has sql/distribute_collection.sql run on this collection? Its stats is then a view, not a
-- table; answered the same with or without Citus installed.
SELECT c.relkind = 'v' AS distributed
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema_name)s AND c.relname = 'stats'
