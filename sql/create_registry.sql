-- The registry of collections: one row per named collection, recording the model and
-- dimension every later command must use. Run once per database by `pgvsearch init`.
CREATE SCHEMA IF NOT EXISTS pgvsearch;

CREATE TABLE IF NOT EXISTS pgvsearch.collections (
    name            text PRIMARY KEY,
    schema_name     text NOT NULL UNIQUE,
    model           text NOT NULL,
    dimension       integer NOT NULL CHECK (dimension > 0),
    storage         text NOT NULL CHECK (storage IN ('vector', 'halfvec')),
    text_config     text NOT NULL,
    chunk_tokens    integer NOT NULL,
    chunk_overlap   integer NOT NULL,
    max_seq_length  integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
