-- The postings of query term number {slot} (sql/keyword_ranking.sql's weights), in document
-- order, each with its BM25 part: weight * tf / (tf + a + c * dl). The term and its weight are
-- scalar subqueries, computed once: the index scan keeps (term, document_id) order, and so
-- one branch per term can be merged by document id rather than hashed. Each part is counted
-- in units of 2^-32 (the weight is given in them) and rounded to a whole number of units, so
-- that a document's parts add up exactly, in whatever order the merge yields them: two
-- documents with the same parts tie exactly, and ties break on the id.
-- EXISTS: a branch past the query's terms is never started (a one-time test), so that it does
-- not prepare a narrow filter's 10,000 ids for an index scan of no term (~1.5 ms a branch).
(SELECT p.document_id,
        round((SELECT w.weight FROM weights AS w WHERE w.slot = {slot})
              * p.tf / (p.tf + (SELECT st.a FROM st) + (SELECT st.c FROM st) * p.doc_length)) AS part
 FROM {schema}.postings AS p
 WHERE p.term = (SELECT w.term FROM weights AS w WHERE w.slot = {slot})
   AND {posting_filter}
   AND EXISTS (SELECT 1 FROM weights AS w WHERE w.slot = {slot})
 ORDER BY p.document_id)
