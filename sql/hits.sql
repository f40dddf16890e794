-- Turn ranked documents into hits: the document, and the chunk to show. A document found
-- only by keywords shows its chunk with the most query lexemes (first such chunk on ties).
WITH ranked AS MATERIALIZED ({ranked}),
qlex AS (
    SELECT coalesce(array_agg(lexeme), ARRAY[]::text[]) AS lexemes
    FROM unnest(to_tsvector(%(text_config)s::regconfig, translate(%(query)s, %(word_separators)s, %(separator_spaces)s)))
)
SELECT row_number() OVER (ORDER BY r.score DESC, least(r.semantic_rank, r.keyword_rank), r.document_id) AS rank,
       d.doc_id, d.title, d.source, d.metadata,
       c.position AS chunk, c.content AS text,
       r.score, r.semantic_rank, r.keyword_rank, r.similarity, r.bm25
FROM ranked AS r
JOIN {schema}.documents AS d ON d.id = r.document_id
CROSS JOIN qlex
JOIN LATERAL (
    SELECT c.position, c.content
    FROM {schema}.chunks AS c
    WHERE c.document_id = r.document_id
    ORDER BY (c.id = r.chunk_id) DESC,
             (SELECT count(*) FROM unnest(c.tsv) AS u WHERE u.lexeme = ANY(qlex.lexemes)) DESC,
             c.position
    LIMIT 1
) AS c ON true
ORDER BY rank
