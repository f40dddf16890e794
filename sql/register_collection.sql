INSERT INTO pgvsearch.collections
    (name, schema_name, model, dimension, storage, text_config, chunk_tokens, chunk_overlap, max_seq_length, precision, word_separators)
VALUES
    (%(name)s, %(schema_name)s, %(model)s, %(dimension)s, %(storage)s, %(text_config)s,
     %(chunk_tokens)s, %(chunk_overlap)s, %(max_seq_length)s, %(precision)s, %(word_separators)s)
ON CONFLICT (name) DO NOTHING;
