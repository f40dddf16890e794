INSERT INTO {schema}.documents (doc_id, source, title, metadata, content_hash, chunk_count)
SELECT *
FROM unnest(%(doc_ids)s::text[], %(sources)s::text[], %(titles)s::text[],
            %(metadata)s::jsonb[], %(hashes)s::text[], %(chunk_counts)s::int[])
RETURNING id, doc_id;
