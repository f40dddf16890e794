-- How many of the best matches the keyword branch keeps under a filter tested after ranking
-- (`depth`, sql/keyword_top_checked.sql), and a score that many surely reach (`floor`).
-- depth: three times candidates / s, s being the planner's estimate of the share of documents
-- the filter admits (filter_share), between 10 and 100 times candidates, and 100 times without
-- an estimate (a heap of 10,000 cost a tenth admitted ~10 ms more than one of 3,000).
-- floor: the depth-th best part of the rarest query term with at least depth postings (its
-- documents score at least that much, and there are that many of them), or none. The admitted
-- best may score lower, so it only prunes the best `depth`, not the matches tested after them;
-- but it keeps most matches, documents with one common word, out of the bounded heap (at
-- 1,000,000 chunks and a tenth admitted, docs/performance.md).
depth AS MATERIALIZED (
    SELECT %(candidates)s * coalesce(
               least(100, greatest(10, ceil(3 / nullif({schema}.filter_share(%(prefix)s::text, %(meta)s::jsonb), 0)))), 100
           )::bigint AS matches
),
floor AS MATERIALIZED (
    SELECT coalesce(
        (SELECT r.part FROM ({common}) AS r ORDER BY r.part DESC OFFSET (SELECT d.matches FROM depth AS d) - 1 LIMIT 1),
        '-Infinity'::float8) AS score
)
