-- The --prefix test of a document (alias d), part of sql/document_filter.sql: a NULL prefix
-- admits every document. starts_with() reads the doc_id and source pattern indexes, and the
-- planner estimates it from their statistics (sql/filter_estimate.sql).
(%(prefix)s::text IS NULL OR starts_with(d.doc_id, %(prefix)s) OR starts_with(d.source, %(prefix)s))
