-- Columns added after the first release are read through to_jsonb, so that a registry that
-- `init` has not upgraded yet still reads (with the old behaviour's values).
-- Every column is named after a field of pgvsearch.store.Collection: rows are mapped by name.
SELECT name, schema_name AS schema, model, dimension, storage, text_config,
       chunk_tokens, chunk_overlap, max_seq_length,
       coalesce(to_jsonb(c) ->> 'precision', 'fp32') AS precision,
       coalesce(to_jsonb(c) ->> 'word_separators', '') AS word_separators,
       created_at
FROM pgvsearch.collections AS c
ORDER BY name;
