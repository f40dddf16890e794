-- The postings of query term number {slot} (sql/keyword_ranking.sql's weights), in document
-- order, each with its BM25 part: weight * tf / (tf + a + c * dl), computed as
-- weight / (1 + (a + c * dl) / tf) (tf is at least 1), which reads tf once: one cast fewer per
-- posting (docs/performance.md). The term and its
-- weight are scalar subqueries, computed once: the index scan keeps (term, document_id) order,
-- and so one branch per term can be merged by document id rather than hashed. Each part is
-- counted in units of 2^-32 (the weight is given in them) and rounded to a whole number of
-- units, so that a document's parts add up exactly, in whatever order the merge yields them:
-- two documents with the same parts tie exactly, and ties break on the id.
-- A branch past the query's terms reads nothing: its term is NULL, which no key equals. Where
-- the postings are also tested against a filter's documents, {branch_gate} holds it back
-- altogether (an EXISTS, a one-time test), so that it does not prepare a narrow filter's
-- 10,000 ids for an index scan of no term (~1.5 ms a branch); elsewhere it is `true`, and the
-- branch has no gating node for every posting to pass through.
(SELECT p.document_id,
        round((SELECT w.weight FROM weights AS w WHERE w.slot = {slot})
              / (1 + ((SELECT st.a FROM st) + (SELECT st.c FROM st) * p.doc_length) / p.tf)) AS part
 FROM {schema}.postings AS p
 WHERE p.term = (SELECT w.term FROM weights AS w WHERE w.slot = {slot})
   AND {posting_filter}
   AND {branch_gate}
 ORDER BY p.document_id)
