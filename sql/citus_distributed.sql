-- Which of these tables Citus already distributes (hash) or replicates (reference).
SELECT t.name
FROM unnest(%(tables)s::text[]) AS t (name)
WHERE EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = to_regclass(t.name))
