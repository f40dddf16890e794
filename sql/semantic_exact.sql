-- Semantic branch without the index, for a search whose nearest chunks were crowded by a few
-- long documents (search.py): every chunk the filter admits, each document's best chunk, the
-- `candidates` best documents. Ordering by document first keeps the HNSW index out of it.
SELECT best.document_id, best.chunk_id, best.distance,
       row_number() OVER (ORDER BY best.distance, best.chunk_id) AS rank
FROM (
    SELECT DISTINCT ON (c.document_id) c.document_id, c.id AS chunk_id, c.embedding <=> %(embedding)s::{vector_type} AS distance
    FROM {schema}.chunks AS c
    WHERE {chunk_filter}
    ORDER BY c.document_id, distance, c.id
) AS best
ORDER BY best.distance, best.chunk_id
LIMIT %(candidates)s
