-- Keyword branch: Okapi BM25 over whole documents from the postings table.
--   idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))
--   score   = sum over query terms of qtf * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
-- Any query term may match (no all-words requirement); stop words are dropped by the
-- collection's text search configuration. Ties break on the document id.
-- The collection's word separators (default '-' and '/') are read as spaces before lexing, in
-- queries as in documents (sql/insert_postings.sql): "boundary-layer" and "subsonic/supersonic"
-- are two words each, as Lucene's standard tokenizer splits them, not one compound or file path.
-- Cost is one pass over the query terms' postings (benchmarks/scale.py measures it): per-term
-- work (df from the lexicon, idf) and per-search constants are computed once, not per posting,
-- and only the top candidates are ranked. Each term's postings come from the primary key in
-- document order (sql/term_postings.sql), so the terms are merged and each document's parts
-- summed as they stream by, instead of hashing every matching document: at 1,000,000 chunks a
-- query's terms match ~220,000 documents, most of them once, and a hash table of them was most
-- of the branch's time.
WITH q AS (
    SELECT lexeme AS term, coalesce(array_length(positions, 1), 1) AS qtf
    FROM unnest(to_tsvector(%(text_config)s::regconfig, translate(%(query)s, %(word_separators)s, %(separator_spaces)s)))
),
st AS (
    -- tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)) is tf * (k1 + 1) / (tf + a + c * dl).
    SELECT s.n, %(k1)s * (1 - %(b)s) AS a, %(k1)s * %(b)s / s.avgdl AS c
    FROM (
        SELECT greatest(n_docs, 1)::float8 AS n,
               greatest(total_length::float8 / greatest(n_docs, 1), 1) AS avgdl
        FROM {schema}.stats
    ) AS s
),
weights AS MATERIALIZED (
    -- (k1 + 1) * qtf * idf per query term that occurs in the collection, numbered rarest
    -- first, in units of 2^-32 (sql/term_postings.sql): scores are summed in those units and
    -- divided once, for the best documents only. MATERIALIZED: once per term. LATERAL: one
    -- lookup per term, also where the lexicon is a view (sql/distributed_lexicon.sql).
    SELECT row_number() OVER (ORDER BY l.df, q.term) AS slot, q.term, l.df,
           (%(k1)s + 1) * q.qtf * ln(1 + (st.n - l.df + 0.5) / (l.df + 0.5)) * 4294967296 AS weight
    FROM q
    CROSS JOIN st
    CROSS JOIN LATERAL (SELECT x.df FROM {schema}.lexicon AS x WHERE x.term = q.term) AS l
),
{floor},
scored AS NOT MATERIALIZED (
    -- NOT MATERIALIZED: sql/keyword_top_checked.sql names it twice, the second time only for a
    -- filter that passes too few of the best; stored, every match went through a tuplestore
    -- on every search (a tenth admitted by --prefix at 1,000,000 chunks: branch p50 44.6 -> 35.6 ms).
    -- The branches are sql/term_postings.sql, one per query term, then sql/more_term_postings.sql
    -- for the terms after them. ORDER BY and OFFSET 0 let the planner only merge them: it cannot
    -- estimate how many documents a union holds and would otherwise pick a hash table.
    SELECT m.document_id, sum(m.part) AS score
    FROM (
        SELECT u.document_id, u.part
        FROM ({term_postings}) AS u
        ORDER BY u.document_id
        OFFSET 0
    ) AS m
    GROUP BY m.document_id
    HAVING {score_floor}
),
top AS (
    -- The best %(candidates)s: sql/keyword_top.sql, or sql/keyword_top_checked.sql where a
    -- filter admitting many documents is tested on the best matches only.
    {top}
)
SELECT document_id, score / 4294967296 AS score, row_number() OVER (ORDER BY score DESC, document_id) AS rank
FROM top
ORDER BY top.score DESC, document_id
