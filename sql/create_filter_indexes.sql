-- What a narrow filter's lookup reads (sql/filter_is_narrow.sql): the ids and chunk counts of
-- the documents a --prefix or a --meta filter admits, from indexes alone. Reading them from
-- the documents themselves cost a random heap page per document: ~16 ms for the 10,000 a
-- hundredth of 1,000,000 admits, a quarter of such a search (docs/performance.md). Run after
-- sql/create_collection.sql, and before the first search of a collection made by a version
-- without them (pgvsearch/store/search_functions.py); idempotent. Placeholders: the schema
-- identifier and its name as a literal.

-- --prefix: the two pattern indexes carry the id and chunk count, so that each prefix is one
-- range of one index, read without the table (starts_with uses them whatever the database's
-- collation). They replace the plain pattern indexes of earlier versions (dropped at the end:
-- dropping takes a lock that holds readers too).
CREATE INDEX IF NOT EXISTS documents_source_ids_idx ON {schema}.documents (source text_pattern_ops) INCLUDE (id, chunk_count);
CREATE INDEX IF NOT EXISTS documents_doc_id_ids_idx ON {schema}.documents (doc_id text_pattern_ops) INCLUDE (id, chunk_count);

-- --meta: one row per metadata pair ("key<US>value", as metadata_pairs() spells them and the
-- GIN index of documents holds them) and document, with its chunk count: the documents of one
-- pair are one range of the primary key, in id order. Kept exact by the statement triggers
-- below, in the transaction that changes documents.
CREATE TABLE IF NOT EXISTS {schema}.document_pairs (
    pair         text NOT NULL,
    document_id  bigint NOT NULL,
    chunk_count  integer NOT NULL,
    PRIMARY KEY (pair, document_id) INCLUDE (chunk_count)
);

-- Inserted documents add their pairs, deleted ones remove theirs (found through the primary
-- key from the old metadata: no index on document_id is needed), and updated ones whose
-- metadata or chunk count changed do both. In key order: concurrent writers lock in one order.
CREATE OR REPLACE FUNCTION {schema}.maintain_pairs_per_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {schema}.document_pairs AS p
        USING old_rows AS o CROSS JOIN unnest({schema}.metadata_pairs(o.metadata)) AS e (pair)
        WHERE p.pair = e.pair AND p.document_id = o.id;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM {schema}.document_pairs AS p
        USING old_rows AS o JOIN new_rows AS n ON n.id = o.id
              CROSS JOIN unnest({schema}.metadata_pairs(o.metadata)) AS e (pair)
        WHERE (n.metadata IS DISTINCT FROM o.metadata OR n.chunk_count <> o.chunk_count)
          AND p.pair = e.pair AND p.document_id = o.id;
        INSERT INTO {schema}.document_pairs (pair, document_id, chunk_count)
        SELECT e.pair, n.id, n.chunk_count
        FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id
             CROSS JOIN unnest({schema}.metadata_pairs(n.metadata)) AS e (pair)
        WHERE n.metadata IS DISTINCT FROM o.metadata OR n.chunk_count <> o.chunk_count
        ORDER BY e.pair, n.id;
    ELSE
        INSERT INTO {schema}.document_pairs (pair, document_id, chunk_count)
        SELECT e.pair, n.id, n.chunk_count
        FROM new_rows AS n CROSS JOIN unnest({schema}.metadata_pairs(n.metadata)) AS e (pair)
        ORDER BY e.pair, n.id;
    END IF;
    RETURN NULL;
END
$$;

-- A collection made by an earlier version has documents and no pairs: they are written once,
-- here. As for the lexicon (sql/create_collection.sql), the lock waits for writers in progress
-- and holds new ones until this transaction, which installs the triggers, ends.
LOCK TABLE {schema}.documents IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO {schema}.document_pairs (pair, document_id, chunk_count)
SELECT e.pair, d.id, d.chunk_count
FROM {schema}.documents AS d CROSS JOIN unnest({schema}.metadata_pairs(d.metadata)) AS e (pair)
WHERE NOT EXISTS (
    SELECT 1 FROM pg_trigger AS t
    WHERE t.tgrelid = to_regclass(format('%I.documents', {schema_name})) AND t.tgname = 'documents_pairs_insert'
)
ORDER BY e.pair, d.id
ON CONFLICT DO NOTHING;

CREATE OR REPLACE TRIGGER documents_pairs_insert
    AFTER INSERT ON {schema}.documents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_pairs_per_statement();
CREATE OR REPLACE TRIGGER documents_pairs_delete
    AFTER DELETE ON {schema}.documents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_pairs_per_statement();
CREATE OR REPLACE TRIGGER documents_pairs_update
    AFTER UPDATE ON {schema}.documents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_pairs_per_statement();

DROP INDEX IF EXISTS {schema}.documents_source_idx;
DROP INDEX IF EXISTS {schema}.documents_doc_id_prefix_idx;
