-- The best documents of the keyword branch (sql/keyword_ranking.sql) under a filter admitting
-- many documents (a hybrid search's, sql/filter_is_narrow.sql): rather than finding every
-- admitted document first (a tenth of 1,000,000 documents is 100,000 index entries and heap rows), every
-- match is scored, sorted, and tested in score order until %(candidates)s pass, each through
-- its document's primary key; with a filter admitting a share s of the documents that is
-- about candidates / s tests. OFFSET 0 keeps the test out of the sorted subquery, so that it
-- runs on the sorted rows as they are read, not on every match before the sort.
SELECT m.document_id, m.score
FROM (
    SELECT document_id, score
    FROM scored
    ORDER BY score DESC, document_id
    OFFSET 0
) AS m
WHERE {document_check}
LIMIT %(candidates)s
