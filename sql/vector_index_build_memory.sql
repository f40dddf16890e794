-- Sizing the HNSW build: how many chunks it indexes and the session's maintenance_work_mem.
SELECT (SELECT count(*) FROM {schema}.chunks)                 AS chunks,
       pg_size_bytes(current_setting('maintenance_work_mem'))  AS maintenance_work_mem_bytes;
