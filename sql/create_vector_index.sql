-- The HNSW index over chunk embeddings (cosine distance). Created with the collection; an
-- ingest into an empty collection drops it and builds it once after the load, which is
-- faster than inserting every vector into the graph (and heals an index found missing).
-- m = 16, ef_construction = 64: pgvector's defaults; recall@10 0.998 at 100k chunks with the
-- ef_search pgvsearch sets (README "Performance"). Indexed: the embedding with vector_cosine_ops or
-- halfvec_cosine_ops, or for binary storage (binary_quantize(embedding)::bit(dimension)) with
-- bit_hamming_ops: one bit per dimension, re-ranked by the full vectors (sql/nearest_chunks_binary.sql).
CREATE INDEX IF NOT EXISTS chunks_embedding_idx ON {schema}.chunks
    USING hnsw ({indexed} {ops}) WITH (m = 16, ef_construction = 64);
