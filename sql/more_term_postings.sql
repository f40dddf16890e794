-- The postings of the query terms after number {slots} (sql/keyword_ranking.sql), all in one
-- branch sorted by document id: a query with that many distinct words is rare, and is ranked
-- the same, with one sort of these terms' postings (parts rounded as there).
(SELECT p.document_id, round(w.weight * p.tf / (p.tf + st.a + st.c * p.doc_length)) AS part
 FROM weights AS w
 JOIN {schema}.postings AS p ON p.term = w.term
 CROSS JOIN st
 WHERE w.slot > {slots}
   AND {posting_filter}
 ORDER BY p.document_id)
