-- Documents that came from the given roots (exact source or source prefix) but were not seen
-- in this run: their files are gone. Files skipped this run (unreadable, too large) are kept.
DELETE FROM {schema}.documents AS d
WHERE (d.source = ANY(%(exact)s::text[])
       OR EXISTS (SELECT 1 FROM unnest(%(prefixes)s::text[]) AS p (prefix) WHERE starts_with(d.source, p.prefix)))
  AND NOT (d.doc_id = ANY(%(seen)s::text[]))
  AND NOT (split_part(d.source, '#', 1) = ANY(%(keep)s::text[]))
RETURNING d.doc_id;
