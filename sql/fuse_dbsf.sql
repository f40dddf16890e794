-- Distribution-based score fusion (`--fusion dbsf`): each branch's scores are scaled to [0, 1]
-- by the mean ± 3 standard deviations of its own candidates (clamped; a branch whose
-- candidates all score alike gives each of them 1), then weighted and summed. A document
-- missing from a branch gets 0 from it. Unlike RRF it keeps how far apart the scores are, not
-- only their order. Ties break on the best single-branch rank, then the document id.
WITH s AS MATERIALIZED ({semantic}),
kw AS MATERIALIZED ({keyword}),
-- The mean and deviation sum their inputs in a set order: floating-point sums depend on the
-- order of their terms, and a score must not change in its last bit (nor two close documents
-- swap) with the order in which a branch's rows happen to arrive.
s_dist AS (SELECT avg(1 - distance ORDER BY distance) AS mu, stddev_pop(1 - distance ORDER BY distance) AS sd FROM s),
kw_dist AS (SELECT avg(score ORDER BY score) AS mu, stddev_pop(score ORDER BY score) AS sd FROM kw),
scaled AS (
    SELECT coalesce(s.document_id, kw.document_id) AS document_id,
           s.chunk_id, s.rank AS semantic_rank, kw.rank AS keyword_rank,
           1 - s.distance AS similarity, kw.score AS bm25,
           CASE WHEN s.document_id IS NULL THEN 0
                ELSE coalesce(greatest(0, least(1, (1 - s.distance - (sd.mu - 3 * sd.sd)) / nullif(6 * sd.sd, 0))), 1)
           END AS semantic_scaled,
           CASE WHEN kw.document_id IS NULL THEN 0
                ELSE coalesce(greatest(0, least(1, (kw.score - (kd.mu - 3 * kd.sd)) / nullif(6 * kd.sd, 0))), 1)
           END AS keyword_scaled
    FROM s
    FULL OUTER JOIN kw ON kw.document_id = s.document_id
    CROSS JOIN s_dist AS sd
    CROSS JOIN kw_dist AS kd
)
SELECT document_id, chunk_id,
       %(semantic_weight)s * semantic_scaled + %(keyword_weight)s * keyword_scaled AS score,
       semantic_rank, keyword_rank, similarity, bm25
FROM scaled
ORDER BY score DESC, least(semantic_rank, keyword_rank), document_id
LIMIT %(k)s
