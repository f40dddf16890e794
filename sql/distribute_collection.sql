-- Shard one collection across a Citus cluster (`pgvsearch init --distributed`, docs/scaling.md),
-- after sql/create_collection.sql has made it. Placeholders (filled by pgvsearch/store/citus.py):
-- {schema} the collection's schema identifier, {schema_name} the same name as a string literal.
--
-- documents, chunks and postings are distributed on the document id (documents.id, and the
-- document_id that chunks and postings carry), all in documents' co-location group: a document,
-- its chunks and its postings live in the same shard, so ingest writes, the ON DELETE CASCADE
-- foreign keys, and every join and GROUP BY on the document id run inside one shard.
--
-- Citus needs every PRIMARY KEY and UNIQUE constraint of a distributed table to contain the
-- distribution column. documents (id) and postings (term, document_id) do; two do not:
--   documents UNIQUE (doc_id): becomes a plain index. doc_id stays unique because the only
--     writer is an ingest holding the collection's lock, which looks a doc_id up before it inserts.
--   chunks PRIMARY KEY (id): becomes (id, document_id), which still finds a chunk by its id.
ALTER TABLE {schema}.documents DROP CONSTRAINT documents_doc_id_key;
CREATE INDEX documents_doc_id_idx ON {schema}.documents (doc_id);
ALTER TABLE {schema}.chunks DROP CONSTRAINT chunks_pkey;
ALTER TABLE {schema}.chunks ADD CONSTRAINT chunks_pkey PRIMARY KEY (id, document_id);

-- BM25's N and total length, and the chunk count. On one server statement triggers on
-- documents keep a one-row table exact; Citus refuses triggers on a distributed table (they
-- would fire on the workers, one shard at a time, each updating the same row). Instead stats becomes a view: one
-- distributed count and sum (each shard aggregates its documents in parallel, the coordinator
-- adds them up), always exact and global.
DROP TRIGGER documents_stats_insert ON {schema}.documents;
DROP TRIGGER documents_stats_delete ON {schema}.documents;
DROP TRIGGER documents_stats_update ON {schema}.documents;
DROP FUNCTION {schema}.maintain_stats_per_statement();
DROP TABLE {schema}.stats;
CREATE VIEW {schema}.stats AS
    SELECT true AS singleton, count(*)::bigint AS n_docs, coalesce(sum(doc_length), 0)::bigint AS total_length,
           coalesce(sum(chunk_count), 0)::bigint AS n_chunks
    FROM {schema}.documents;

-- BM25's document frequencies, likewise: the postings triggers go and the lexicon becomes a
-- view (sql/distributed_lexicon.sql, run next), counted in the shards for each query term.
DROP TRIGGER postings_lexicon_insert ON {schema}.postings;
DROP TRIGGER postings_lexicon_delete ON {schema}.postings;
DROP TRIGGER postings_lexicon_update ON {schema}.postings;
DROP FUNCTION {schema}.maintain_lexicon_per_statement();
DROP TABLE {schema}.lexicon;

-- The metadata pairs of the narrow filter lookup, likewise (a view, sql/distributed_lexicon.sql).
DROP TRIGGER IF EXISTS documents_pairs_insert ON {schema}.documents;
DROP TRIGGER IF EXISTS documents_pairs_delete ON {schema}.documents;
DROP TRIGGER IF EXISTS documents_pairs_update ON {schema}.documents;
DROP FUNCTION IF EXISTS {schema}.maintain_pairs_per_statement();
DROP TABLE IF EXISTS {schema}.document_pairs;

SELECT create_distributed_table(format('%I.documents', {schema_name})::regclass, 'id');
SELECT create_distributed_table(format('%I.chunks', {schema_name})::regclass, 'document_id',
                                colocate_with => format('%I.documents', {schema_name}));
SELECT create_distributed_table(format('%I.postings', {schema_name})::regclass, 'document_id',
                                colocate_with => format('%I.documents', {schema_name}));
