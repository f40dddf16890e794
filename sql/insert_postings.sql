-- BM25 postings for newly inserted documents, from their whole text (title + body) split
-- into segments so that no single tsvector exceeds PostgreSQL's limits. The collection's word
-- separators are read as spaces first, exactly as sql/keyword_ranking.sql reads the query.
INSERT INTO {schema}.postings (term, document_id, tf, doc_length)
SELECT term, document_id, tf, sum(tf) OVER (PARTITION BY document_id)
FROM (
    SELECT s.document_id, lex.lexeme AS term,
           sum(coalesce(array_length(lex.positions, 1), 1))::int AS tf
    FROM unnest(%(document_ids)s::bigint[], %(segments)s::text[]) AS s (document_id, segment)
    CROSS JOIN LATERAL unnest(to_tsvector(%(text_config)s::regconfig, translate(s.segment, %(word_separators)s, %(separator_spaces)s))) AS lex
    GROUP BY s.document_id, lex.lexeme
) AS counted;
