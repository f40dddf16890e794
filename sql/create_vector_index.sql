-- The HNSW index over chunk embeddings (cosine distance). Created with the collection; an
-- ingest into an empty collection drops it and builds it once after the load, which is
-- faster than inserting every vector into the graph (and heals an index found missing).
-- m = 16 (pgvector's default), ef_construction = 128 (twice pgvector's 64): at 1,000,000
-- chunks of benchmarks/scale.py's clustered vectors a graph built with 64 reached recall@10 0.81
-- at ef_search 200 and 0.94 at 1,000, with 128 0.93 and 0.955 at 200 and 400 (the build takes
-- about 1.5 times as long; docs/performance.md). Indexed: the embedding with vector_cosine_ops or
-- halfvec_cosine_ops, or for binary storage (binary_quantize(embedding)::bit(dimension)) with
-- bit_hamming_ops: one bit per dimension, re-ranked by the full vectors (sql/nearest_chunks_binary.sql).
CREATE INDEX IF NOT EXISTS chunks_embedding_idx ON {schema}.chunks
    USING hnsw ({indexed} {ops}) WITH (m = 16, ef_construction = 128);
