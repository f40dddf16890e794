-- The chunk_candidates chunks nearest the query by cosine distance (<=>, the HNSW index).
-- The chunk filter placeholder is `true` or restricts c.document_id to the filtered documents.
SELECT c.document_id, c.id AS chunk_id, c.embedding <=> %(embedding)s::{vector_type} AS distance
FROM {schema}.chunks AS c
WHERE {chunk_filter}
ORDER BY c.embedding <=> %(embedding)s::{vector_type}
LIMIT %(chunk_candidates)s
