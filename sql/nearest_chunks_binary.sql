-- Binary storage: the chunk_candidates chunks nearest the query by cosine distance, among the
-- {rerank} × chunk_candidates nearest by Hamming distance between their bits (binary_quantize:
-- one bit per dimension, the HNSW index of sql/create_vector_index.sql), re-ranked with the
-- full vectors. The chunk filter placeholder is as in sql/nearest_chunks.sql.
SELECT near.document_id, near.chunk_id, near.embedding <=> %(embedding)s::{vector_type} AS distance
FROM (
    SELECT c.document_id, c.id AS chunk_id, c.embedding
    FROM {schema}.chunks AS c
    WHERE {chunk_filter}
    ORDER BY binary_quantize(c.embedding)::bit({dimension}) <~> binary_quantize(%(embedding)s::{vector_type})
    LIMIT %(chunk_candidates)s * {rerank}
) AS near
ORDER BY distance, near.chunk_id
LIMIT %(chunk_candidates)s
