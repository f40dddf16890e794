-- Naive keyword baseline, for comparison only (benchmarks/quality.py): PostgreSQL's ts_rank
-- over the OR of the query's lexemes, best chunk per document. ts_rank has no inverse
-- document frequency and no term-frequency saturation; this is what BM25 replaces.
WITH q AS (
    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query
    FROM unnest(to_tsvector(%(text_config)s::regconfig, translate(%(query)s, %(word_separators)s, %(separator_spaces)s)))
)
SELECT d.doc_id, max(ts_rank(c.tsv, q.query)) AS score
FROM {schema}.chunks AS c
JOIN {schema}.documents AS d ON d.id = c.document_id
CROSS JOIN q
WHERE c.tsv @@ q.query
GROUP BY d.doc_id
ORDER BY score DESC, d.doc_id
LIMIT %(k)s
