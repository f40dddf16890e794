-- Reciprocal Rank Fusion: score = sum over branches of weight / (rrf_k + rank).
-- A document missing from a branch contributes nothing from it. Ties break on the best
-- single-branch rank, then the document id.
SELECT coalesce(s.document_id, kw.document_id) AS document_id,
       s.chunk_id,
       coalesce(%(semantic_weight)s / (%(rrf_k)s + s.rank), 0)
         + coalesce(%(keyword_weight)s / (%(rrf_k)s + kw.rank), 0) AS score,
       s.rank AS semantic_rank,
       kw.rank AS keyword_rank,
       1 - s.distance AS similarity,
       kw.score AS bm25
FROM ({semantic}) AS s
FULL OUTER JOIN ({keyword}) AS kw ON kw.document_id = s.document_id
ORDER BY score DESC, least(s.rank, kw.rank), coalesce(s.document_id, kw.document_id)
LIMIT %(k)s
