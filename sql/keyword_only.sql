SELECT kw.document_id, NULL::bigint AS chunk_id, kw.score,
       NULL::bigint AS semantic_rank, kw.rank AS keyword_rank,
       NULL::float8 AS similarity, kw.score AS bm25
FROM ({keyword}) AS kw
ORDER BY kw.rank
LIMIT %(k)s
