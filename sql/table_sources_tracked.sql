-- The tracked table sources of a collection, and whether each one's queue is in this database
-- (`drop` removes their triggers and queues here; those of another database are named).
SELECT name, definition, queue, to_regclass(format('pgvsearch.%%I', queue)) IS NOT NULL AS here
FROM pgvsearch.table_sources
WHERE collection = %(collection)s AND queue IS NOT NULL
ORDER BY name;
