-- Before a bulk load into an empty collection (the index is rebuilt after it).
DROP INDEX IF EXISTS {schema}.chunks_embedding_idx;
