-- The best documents of the keyword branch (sql/keyword_ranking.sql), when every match in
-- `scored` is admitted. LIMIT right after the ORDER BY lets PostgreSQL keep a top-N heap
-- instead of sorting every match.
SELECT document_id, score
FROM scored
ORDER BY score DESC, document_id
LIMIT %(candidates)s
