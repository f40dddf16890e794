-- The floor of the keyword branch (sql/keyword_ranking.sql) when every match is admitted, or
-- the filter's documents were looked up first: a score the best %(candidates)s documents surely
-- reach, the %(candidates)s-th best part of the rarest term alone (its documents score at least
-- that much, and there are that many of them), or none when it has fewer postings. Documents
-- below it are dropped as they are summed instead of passing through the top-N sort: most
-- matches are documents with one common word.
floor AS MATERIALIZED (
    SELECT coalesce(
        (SELECT r.part FROM ({rarest}) AS r ORDER BY r.part DESC OFFSET %(candidates)s - 1 LIMIT 1),
        '-Infinity'::float8) AS score
)
