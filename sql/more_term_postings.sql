-- The postings of the query terms after number {slots} (sql/keyword_ranking.sql), all in one
-- branch sorted by document id: a query with that many distinct words is rare, and is ranked
-- the same, with one sort of these terms' postings (parts computed and rounded as in
-- sql/term_postings.sql).
(SELECT p.document_id, round(w.weight / (1 + (st.a + st.c * p.doc_length) / p.tf)) AS part
 FROM weights AS w
 JOIN {schema}.postings AS p ON p.term = w.term
 CROSS JOIN st
 WHERE w.slot > {slots}
   AND {posting_filter}
 ORDER BY p.document_id)
