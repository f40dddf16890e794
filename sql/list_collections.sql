SELECT name, schema_name, model, dimension, storage, text_config,
       chunk_tokens, chunk_overlap, max_seq_length, precision, created_at
FROM pgvsearch.collections
ORDER BY name;
