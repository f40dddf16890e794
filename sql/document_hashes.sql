-- What is stored, for the ingestor's unchanged check and doc_id reconciliation: the file behind
-- each document and, for a JSON Lines record, its line (every document's metadata has both).
SELECT doc_id, content_hash, source, metadata->'path' AS path, metadata->'line' AS line
FROM {schema}.documents;
