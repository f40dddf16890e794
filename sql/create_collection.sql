-- One schema per collection. Placeholders (filled by pgvsearch/schema.py): the schema
-- identifier and its name as a literal, the vector type (e.g. vector(384) or halfvec(3072)),
-- its cosine operator class, the text search configuration literal (e.g. 'english'), and the
-- collection's word separators with as many spaces (translate() reads them as spaces, as
-- keyword search does).
CREATE SCHEMA IF NOT EXISTS {schema};

-- A source document: a file (doc_id = path relative to the folder given) or a record.
CREATE TABLE IF NOT EXISTS {schema}.documents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id        text NOT NULL UNIQUE,
    source        text NOT NULL,
    title         text NOT NULL DEFAULT '',
    metadata      jsonb NOT NULL DEFAULT jsonb_build_object(),
    content_hash  text NOT NULL,
    doc_length    integer NOT NULL DEFAULT 0,      -- BM25 length: indexed lexeme occurrences
    chunk_count   integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Filters (sql/document_filter.sql) find their documents through indexes, not a scan of
-- every document: --prefix through two pattern indexes, --meta through a GIN index of the
-- metadata's "key<US>value" pairs, compared as text as the filter compares them, and the
-- table of those pairs that sql/create_filter_indexes.sql adds (with the pattern indexes).
CREATE OR REPLACE FUNCTION {schema}.metadata_pairs(metadata jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(e.key || chr(31) || e.value), '{{}}')
    FROM jsonb_each_text(CASE WHEN jsonb_typeof(metadata_pairs.metadata) = 'object' THEN metadata_pairs.metadata END) AS e
    WHERE e.value IS NOT NULL
$$;
CREATE INDEX IF NOT EXISTS documents_metadata_pairs_idx ON {schema}.documents USING gin ({schema}.metadata_pairs(metadata));

-- A chunk of a document: what is embedded and shown. context = title / heading path.
CREATE TABLE IF NOT EXISTS {schema}.chunks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES {schema}.documents (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    context      text NOT NULL DEFAULT '',
    content      text NOT NULL,
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector({text_config}::regconfig, translate(context || ' ' || content, {word_separators}, {separator_spaces}))) STORED,
    embedding    {vector_type} NOT NULL,
    UNIQUE (document_id, position)
);
-- The embedding is kept in the chunk's row (STORAGE MAIN), not in the TOAST table where the
-- vector types put values over ~2 kB (a 384-d vector is 1.5 kB, and with the text the row is
-- larger): ranking chunks exactly, as a narrow filter does, then reads one heap page per
-- chunk instead of a TOAST index and page as well (10,000 chunks: 62 -> 36 ms at 100,000).
-- The text and tsv go to TOAST instead; only the hits shown read them. A vector too large for
-- a page (e.g. 3,072-d vector) is still moved out. Rows written before this setting keep
-- their place until rewritten (VACUUM FULL; docs/storage.md).
ALTER TABLE {schema}.chunks ALTER COLUMN embedding SET STORAGE MAIN;
-- The HNSW index on embedding is sql/create_vector_index.sql (ingest rebuilds it after bulk loads).
CREATE INDEX IF NOT EXISTS chunks_tsv_idx ON {schema}.chunks USING gin (tsv);

-- The inverted index for BM25: one row per (lexeme, document), term frequency and the
-- document's length, maintained at ingest from the whole document text.
CREATE TABLE IF NOT EXISTS {schema}.postings (
    term         text NOT NULL,
    document_id  bigint NOT NULL REFERENCES {schema}.documents (id) ON DELETE CASCADE,
    tf           integer NOT NULL,
    doc_length   integer NOT NULL,
    PRIMARY KEY (term, document_id) INCLUDE (tf, doc_length)
);
CREATE INDEX IF NOT EXISTS postings_document_idx ON {schema}.postings (document_id);

-- BM25's document frequencies: how many documents hold each term. The keyword branch reads a
-- query term's df here, one row, instead of counting its postings on every search (at
-- 1,000,000 chunks, counting was a sixth of a keyword search: docs/performance.md). Kept exact
-- by the statement triggers below, as stats is by those on documents; pgvsearch never updates
-- postings, but an UPDATE is counted too. A term whose last posting goes leaves the lexicon.
CREATE TABLE IF NOT EXISTS {schema}.lexicon (
    term  text PRIMARY KEY,
    df    bigint NOT NULL CHECK (df > 0)
);

CREATE OR REPLACE FUNCTION {schema}.maintain_lexicon_per_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- In term order: concurrent writers take the rows' locks in one order.
        INSERT INTO {schema}.lexicon AS l (term, df)
        SELECT n.term, count(*) FROM new_rows AS n GROUP BY n.term ORDER BY n.term
        ON CONFLICT (term) DO UPDATE SET df = l.df + excluded.df;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        -- One count of the postings gone: terms left with none are deleted, the others
        -- decremented (two disjoint sets of rows, so one statement does both).
        WITH gone AS (SELECT o.term, count(*) AS df FROM old_rows AS o GROUP BY o.term),
        emptied AS (
            DELETE FROM {schema}.lexicon AS l USING gone AS g WHERE l.term = g.term AND l.df = g.df
        )
        UPDATE {schema}.lexicon AS l SET df = l.df - g.df
        FROM gone AS g
        WHERE l.term = g.term AND l.df <> g.df;
    END IF;
    RETURN NULL;
END
$$;

-- A collection made by an earlier version has postings and no lexicon triggers: its lexicon is
-- counted once, here. The lock (the one CREATE TRIGGER takes) waits for writers in progress and
-- holds new ones until this transaction ends, so that no posting is counted twice or missed.
LOCK TABLE {schema}.postings IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO {schema}.lexicon (term, df)
SELECT p.term, count(*) FROM {schema}.postings AS p
WHERE NOT EXISTS (
    SELECT 1 FROM pg_trigger AS t
    WHERE t.tgrelid = to_regclass(format('%I.postings', {schema_name})) AND t.tgname = 'postings_lexicon_insert'
)
GROUP BY p.term
ON CONFLICT (term) DO NOTHING;

CREATE OR REPLACE TRIGGER postings_lexicon_insert
    AFTER INSERT ON {schema}.postings REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_lexicon_per_statement();
CREATE OR REPLACE TRIGGER postings_lexicon_delete
    AFTER DELETE ON {schema}.postings REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_lexicon_per_statement();
CREATE OR REPLACE TRIGGER postings_lexicon_update
    AFTER UPDATE ON {schema}.postings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_lexicon_per_statement();

-- Collection statistics for BM25 (N and total length) and for the semantic branch's chunk pool
-- (the chunks, sql/create_chunk_pool_function.sql), kept exact by triggers on documents.
CREATE TABLE IF NOT EXISTS {schema}.stats (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    n_docs        bigint NOT NULL DEFAULT 0,
    total_length  bigint NOT NULL DEFAULT 0,
    n_chunks      bigint
);
INSERT INTO {schema}.stats (singleton) VALUES (true) ON CONFLICT DO NOTHING;

-- The chunk count: NULL until counted, here, once (a collection made by an earlier version has
-- no such column). As for the lexicon, the lock waits for writers in progress and holds new
-- ones until this transaction, which also installs the triggers that keep it, ends.
ALTER TABLE {schema}.stats ADD COLUMN IF NOT EXISTS n_chunks bigint;
LOCK TABLE {schema}.documents IN SHARE ROW EXCLUSIVE MODE;
UPDATE {schema}.stats SET n_chunks = (SELECT coalesce(sum(d.chunk_count), 0) FROM {schema}.documents AS d)
WHERE n_chunks IS NULL;

-- Once per statement, from its transition tables: a batch of 250 documents is one UPDATE of
-- the stats row, not 500 (a row trigger made a dead version of that row per document, which
-- a long transaction elsewhere -- a table source's read, a report -- keeps from being pruned,
-- so every later update walked them all). Collections made by an earlier version had that
-- row trigger: `init` replaces it.
DROP TRIGGER IF EXISTS documents_stats ON {schema}.documents;
DROP FUNCTION IF EXISTS {schema}.maintain_stats();

-- One function for the three triggers below (a trigger with transition tables has one event
-- each): documents inserted add to N, the total length and the chunks, deleted ones subtract,
-- updated ones change the total length and the chunks by their difference.
CREATE OR REPLACE FUNCTION {schema}.maintain_stats_per_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    _docs bigint := 0;
    _length bigint := 0;
    _chunks bigint := 0;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT count(*), coalesce(sum(doc_length), 0), coalesce(sum(chunk_count), 0)
        INTO _docs, _length, _chunks FROM new_rows;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT _docs - count(*), _length - coalesce(sum(doc_length), 0), _chunks - coalesce(sum(chunk_count), 0)
        INTO _docs, _length, _chunks FROM old_rows;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        _docs := 0;
    END IF;
    IF _docs <> 0 OR _length <> 0 OR _chunks <> 0 THEN
        UPDATE {schema}.stats
        SET n_docs = n_docs + _docs, total_length = total_length + _length, n_chunks = n_chunks + _chunks;
    END IF;
    RETURN NULL;
END
$$;

-- (An UPDATE trigger with transition tables takes no column list: it fires for every UPDATE.)
CREATE OR REPLACE TRIGGER documents_stats_insert
    AFTER INSERT ON {schema}.documents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_stats_per_statement();
CREATE OR REPLACE TRIGGER documents_stats_delete
    AFTER DELETE ON {schema}.documents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_stats_per_statement();
CREATE OR REPLACE TRIGGER documents_stats_update
    AFTER UPDATE ON {schema}.documents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.maintain_stats_per_statement();
