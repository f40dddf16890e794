-- One schema per collection. Placeholders (filled by pgvsearch/schema.py): the schema
-- identifier, the vector type (e.g. vector(384) or halfvec(3072)), its cosine operator class,
-- the text search configuration literal (e.g. 'english'), and the collection's word separators
-- with as many spaces (translate() reads them as spaces, as keyword search does).
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
CREATE INDEX IF NOT EXISTS documents_source_idx ON {schema}.documents (source text_pattern_ops);

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

-- Collection statistics for BM25 (N and total length), kept exact by a trigger on documents.
CREATE TABLE IF NOT EXISTS {schema}.stats (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    n_docs        bigint NOT NULL DEFAULT 0,
    total_length  bigint NOT NULL DEFAULT 0
);
INSERT INTO {schema}.stats (singleton) VALUES (true) ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION {schema}.maintain_stats() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE {schema}.stats SET n_docs = n_docs + 1, total_length = total_length + NEW.doc_length;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE {schema}.stats SET n_docs = n_docs - 1, total_length = total_length - OLD.doc_length;
    ELSE
        UPDATE {schema}.stats SET total_length = total_length - OLD.doc_length + NEW.doc_length;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER documents_stats
    AFTER INSERT OR DELETE OR UPDATE OF doc_length ON {schema}.documents
    FOR EACH ROW EXECUTE FUNCTION {schema}.maintain_stats();
