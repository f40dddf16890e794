-- Columns added after the first release are read through to_jsonb, so that a registry that
-- `init` has not upgraded yet still reads (with the old behaviour's values).
SELECT name, schema_name, model, dimension, storage, text_config,
       chunk_tokens, chunk_overlap, max_seq_length,
       coalesce(to_jsonb(c) ->> 'precision', 'fp32'),
       coalesce(to_jsonb(c) ->> 'word_separators', ''),
       created_at
FROM pgvsearch.collections AS c
WHERE name = %(name)s;
