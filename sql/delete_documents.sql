-- Remove documents being replaced; their chunks and postings go with them (ON DELETE CASCADE).
DELETE FROM {schema}.documents
WHERE doc_id = ANY(%(doc_ids)s::text[]);
