-- One remembered table source of a collection (NULL row: none by that name).
SELECT name, definition, queue
FROM pgvsearch.table_sources
WHERE collection = %(collection)s AND name = %(name)s;
