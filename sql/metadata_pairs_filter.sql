-- What a --meta filter asks, as the GIN index of the documents' metadata pairs can answer it
-- (sql/create_collection.sql): added to sql/document_filter.sql where documents are looked up
-- by the filter, left out where one document is tested (a chunk the HNSW index yields).
(%(meta)s::jsonb = '{{}}' OR {schema}.metadata_pairs(d.metadata) @> {schema}.metadata_pairs(%(meta)s::jsonb))
