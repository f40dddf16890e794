-- Semantic branch: the chunk_candidates nearest chunks by cosine distance (sql/nearest_chunks.sql
-- through the HNSW index, or sql/nearest_chunks_binary.sql for binary storage), then each
-- document's best chunk, ranked by distance with the chunk id breaking ties.
SELECT best.document_id, best.chunk_id, best.distance,
       row_number() OVER (ORDER BY best.distance, best.chunk_id) AS rank
FROM (
    SELECT DISTINCT ON (nn.document_id) nn.document_id, nn.chunk_id, nn.distance
    FROM (
{nearest}
    ) AS nn
    ORDER BY nn.document_id, nn.distance, nn.chunk_id
) AS best
ORDER BY best.distance, best.chunk_id
LIMIT %(candidates)s
