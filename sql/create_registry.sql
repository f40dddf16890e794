-- The registry of collections: one row per named collection, recording the model and
-- dimension every later command must use. Run once per database by `pgvsearch init`.
CREATE SCHEMA IF NOT EXISTS pgvsearch;

CREATE TABLE IF NOT EXISTS pgvsearch.collections (
    name            text PRIMARY KEY,
    schema_name     text NOT NULL UNIQUE,
    model           text NOT NULL,
    dimension       integer NOT NULL CHECK (dimension > 0),
    storage         text NOT NULL CONSTRAINT collections_storage_check CHECK (storage IN ('vector', 'halfvec', 'binary')),
    text_config     text NOT NULL,
    chunk_tokens    integer NOT NULL,
    chunk_overlap   integer NOT NULL,
    max_seq_length  integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Columns added after the first release (ADD COLUMN IF NOT EXISTS keeps old registries working).
ALTER TABLE pgvsearch.collections
    ADD COLUMN IF NOT EXISTS precision text NOT NULL DEFAULT 'fp32' CHECK (precision IN ('fp32', 'int8'));
-- Characters read as spaces before the text search configuration sees the text (keyword search);
-- '' (collections created before it) keeps PostgreSQL's parser as it is.
ALTER TABLE pgvsearch.collections
    ADD COLUMN IF NOT EXISTS word_separators text NOT NULL DEFAULT '';
-- 'binary' storage came later: a registry created before it gets the wider check (once).
DO $upgrade$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conrelid = 'pgvsearch.collections'::regclass AND conname = 'collections_storage_check'
                     AND pg_get_constraintdef(oid) LIKE '%binary%') THEN
        ALTER TABLE pgvsearch.collections DROP CONSTRAINT IF EXISTS collections_storage_check;
        ALTER TABLE pgvsearch.collections ADD CONSTRAINT collections_storage_check
            CHECK (storage IN ('vector', 'halfvec', 'binary'));
    END IF;
END
$upgrade$;
