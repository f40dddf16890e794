-- BM25's document frequencies of a collection sharded by Citus (sql/distribute_collection.sql):
-- a view over the distributed postings in place of the lexicon table and its triggers, which
-- Citus refuses on distributed tables. A search asks it for its query terms only: each shard
-- counts their postings, the coordinator adds the counts up. Run when a collection is
-- distributed, by `init` on one distributed by a version without a lexicon, and before the
-- first search by a version whose functions read document_pairs.
CREATE OR REPLACE VIEW {schema}.lexicon AS
    SELECT p.term, count(*)::bigint AS df
    FROM {schema}.postings AS p
    GROUP BY p.term;

-- The metadata pairs of sql/create_filter_indexes.sql, likewise a view over the distributed
-- documents in place of the trigger-kept table. sql/filter_is_narrow.sql names it but reads it
-- only when it is a table: unnesting every shard's metadata would cost more than the GIN index
-- of documents, which a Citus collection's filters keep reading.
CREATE OR REPLACE VIEW {schema}.document_pairs AS
    SELECT e.pair, d.id AS document_id, d.chunk_count
    FROM {schema}.documents AS d
    CROSS JOIN unnest({schema}.metadata_pairs(d.metadata)) AS e (pair);
