-- The table sources of each collection: what `ingest --table/--query` read, remembered so that a
-- cron line needs only `pgvsearch ingest --table public.articles`. Idempotent: an older registry
-- (without this table) keeps working and gets it on the first table ingest.
CREATE SCHEMA IF NOT EXISTS pgvsearch;

CREATE TABLE IF NOT EXISTS pgvsearch.table_sources (
    collection  text NOT NULL REFERENCES pgvsearch.collections (name) ON DELETE CASCADE,
    name        text NOT NULL,                 -- the doc_id prefix: schema.table, or a query's --name
    definition  jsonb NOT NULL,                -- table or query, --id, --text, --title, --meta columns
    queue       text,                          -- the change queue (pgvsearch.<queue> in the source database) when tracked
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, name)
);
