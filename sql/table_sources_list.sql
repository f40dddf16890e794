-- The remembered table sources of a collection.
SELECT name, definition, queue
FROM pgvsearch.table_sources
WHERE collection = %(collection)s
ORDER BY name;
