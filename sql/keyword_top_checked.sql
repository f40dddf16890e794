-- The best documents of the keyword branch (sql/keyword_ranking.sql) under a filter admitting
-- many documents (a keyword or hybrid search's, sql/filter_is_narrow.sql): rather than finding
-- every admitted document first (a tenth of 1,000,000 documents is 100,000 index entries and heap
-- rows), every match is scored and the best are tested in score order until %(candidates)s
-- pass, each through its document's primary key; with a filter admitting a share s of the
-- documents that is about candidates / s tests. Only the best `depth` matches are kept, in a
-- bounded heap rather than a sort of every match (at 1,000,000 chunks and a tenth admitted:
-- branch p50 95 -> 78 ms), and those under the floor never reach it
-- (sql/keyword_floor_checked.sql, which says how deep `depth` is). When fewer than
-- candidates of them pass (a filter admitting under one document in a hundred, an estimate
-- far too high, or a filter whose documents score low), the matches after them are tested in
-- order too: the answer is always the filtered top. OFFSET 0 keeps each test out of its sorted
-- subquery, so that it runs on the sorted rows as they are read.
WITH best AS MATERIALIZED (
    -- The floor (sql/keyword_floor_checked.sql) only drops matches below the best `depth`.
    SELECT s.document_id, s.score
    FROM scored AS s
    WHERE s.score >= (SELECT f.score FROM floor AS f)
    ORDER BY s.score DESC, s.document_id
    LIMIT (SELECT depth.matches FROM depth)
),
passed AS MATERIALIZED (
    SELECT m.document_id, m.score
    FROM (SELECT b.document_id, b.score FROM best AS b ORDER BY b.score DESC, b.document_id OFFSET 0) AS m
    WHERE {document_check}
    LIMIT %(candidates)s
)
SELECT p.document_id, p.score
FROM passed AS p
UNION ALL
SELECT m.document_id, m.score
FROM (
    SELECT s.document_id, s.score
    FROM scored AS s
    ORDER BY s.score DESC, s.document_id
    OFFSET (SELECT depth.matches FROM depth)
) AS m
WHERE (SELECT count(*) FROM passed) < %(candidates)s
  AND (SELECT count(*) FROM best) = (SELECT depth.matches FROM depth)
  AND {document_check}
LIMIT %(candidates)s
