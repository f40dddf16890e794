SELECT s.document_id, s.chunk_id, 1 - s.distance AS score,
       s.rank AS semantic_rank, NULL::bigint AS keyword_rank,
       1 - s.distance AS similarity, NULL::float8 AS bm25
FROM ({semantic}) AS s
ORDER BY s.rank
LIMIT %(k)s
