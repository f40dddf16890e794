SELECT doc_id, content_hash, source FROM {schema}.documents;
