-- Keyword branch: Okapi BM25 over whole documents from the postings table.
--   idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))
--   score   = sum over query terms of qtf * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
-- Any query term may match (no all-words requirement); stop words are dropped by the
-- collection's text search configuration. Ties break on the document id.
-- The collection's word separators (default '-' and '/') are read as spaces before lexing, in
-- queries as in documents (sql/insert_postings.sql): "boundary-layer" and "subsonic/supersonic"
-- are two words each, as Lucene's standard tokenizer splits them, not one compound or file path.
-- Cost is one pass over the query terms' postings (benchmarks/scale.py measures it), so
-- per-term work (df, idf) is done once per term, and only the top candidates are ranked.
WITH q AS (
    SELECT lexeme AS term, coalesce(array_length(positions, 1), 1) AS qtf
    FROM unnest(to_tsvector(%(text_config)s::regconfig, translate(%(query)s, %(word_separators)s, %(separator_spaces)s)))
),
st AS (
    SELECT greatest(n_docs, 1)::float8 AS n,
           greatest(total_length::float8 / greatest(n_docs, 1), 1) AS avgdl
    FROM {schema}.stats
),
weights AS MATERIALIZED (
    -- qtf * idf per query term that occurs in the collection (df over all documents).
    -- MATERIALIZED: df is counted once per term. Inlined, the planner may join the postings
    -- to the filter first and count a term's df again for every matching posting (a hybrid
    -- search whose --prefix admits a thousandth of 1,000,000 chunks: 103 counts of 47,830
    -- postings, 630 ms).
    SELECT q.term, q.qtf * ln(1 + (st.n - df.df + 0.5) / (df.df + 0.5)) AS weight
    FROM q
    CROSS JOIN st
    CROSS JOIN LATERAL (SELECT count(*)::float8 AS df FROM {schema}.postings AS p WHERE p.term = q.term) AS df
    WHERE df.df > 0
),
scored AS (
    SELECT p.document_id,
           sum(w.weight * p.tf * (%(k1)s + 1)
               / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.doc_length / st.avgdl))) AS score
    FROM {schema}.postings AS p
    JOIN weights AS w USING (term)
    CROSS JOIN st
    WHERE {posting_filter}
    GROUP BY p.document_id
),
top AS (
    -- The best %(candidates)s: sql/keyword_top.sql, or sql/keyword_top_checked.sql where a
    -- filter admitting many documents is tested on the best matches only.
    {top}
)
SELECT document_id, score, row_number() OVER (ORDER BY score DESC, document_id) AS rank
FROM top
ORDER BY score DESC, document_id
