-- Semantic branch: the chunk_candidates nearest chunks by cosine distance (<=>, HNSW index), then each
-- document's best chunk, ranked by distance with the chunk id breaking ties.
-- The chunk filter placeholder is `true` or restricts c.document_id to the filtered documents.
SELECT best.document_id, best.chunk_id, best.distance,
       row_number() OVER (ORDER BY best.distance, best.chunk_id) AS rank
FROM (
    SELECT DISTINCT ON (nn.document_id) nn.document_id, nn.chunk_id, nn.distance
    FROM (
        SELECT c.document_id, c.id AS chunk_id, c.embedding <=> %(embedding)s::{vector_type} AS distance
        FROM {schema}.chunks AS c
        WHERE {chunk_filter}
        ORDER BY c.embedding <=> %(embedding)s::{vector_type}
        LIMIT %(chunk_candidates)s
    ) AS nn
    ORDER BY nn.document_id, nn.distance, nn.chunk_id
) AS best
ORDER BY best.distance, best.chunk_id
LIMIT %(candidates)s
