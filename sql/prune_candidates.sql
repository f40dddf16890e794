-- Documents that came from the given roots (exact source or source prefix) but were not seen
-- in this run. The caller deletes only those whose files are really gone.
SELECT d.doc_id, d.source, d.metadata->'path' AS path, d.metadata->'line' AS line
FROM {schema}.documents AS d
WHERE (d.source = ANY(%(exact)s::text[])
       OR EXISTS (SELECT 1 FROM unnest(%(prefixes)s::text[]) AS p (prefix) WHERE starts_with(d.source, p.prefix)))
  AND NOT (d.doc_id = ANY(%(seen)s::text[]));
