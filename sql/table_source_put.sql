-- Remember (or redefine) a table source; its queue is kept unless given.
INSERT INTO pgvsearch.table_sources AS s (collection, name, definition, queue)
VALUES (%(collection)s, %(name)s, %(definition)s, %(queue)s)
ON CONFLICT (collection, name) DO UPDATE
SET definition = EXCLUDED.definition,
    queue = coalesce(EXCLUDED.queue, s.queue),
    updated_at = now();
