-- A table (or view) by its exact schema and name; without a schema, the first match on the
-- search_path. `near` lists names that differ only in case, for the error message.
SELECT n.nspname AS schema_name, c.relname AS table_name, c.oid::bigint AS oid,
       c.relkind::text AS kind, (c.relname = %(table)s) AS exact
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND lower(c.relname) = lower(%(table)s)
  AND (CASE WHEN %(schema)s::text IS NULL
            THEN n.nspname = ANY(current_schemas(false))
            ELSE lower(n.nspname) = lower(%(schema)s::text) END)
ORDER BY (c.relname = %(table)s AND n.nspname = coalesce(%(schema)s::text, n.nspname)) DESC,
         array_position(current_schemas(false), n.nspname::text), n.nspname, c.relname;
