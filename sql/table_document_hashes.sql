-- The stored content hashes of some documents (a tracked ingest reads only the keys it claimed).
SELECT doc_id, content_hash
FROM {schema}.documents
WHERE doc_id = ANY(%(doc_ids)s::text[]);
