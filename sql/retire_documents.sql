-- Other doc_ids of a file being written (it was stored from a narrower folder): only rows
-- whose source is that same file go, with their chunks and postings (ON DELETE CASCADE).
DELETE FROM {schema}.documents AS d
USING unnest(%(doc_ids)s::text[], %(sources)s::text[]) AS r (doc_id, source)
WHERE d.doc_id = r.doc_id AND d.source = r.source;
