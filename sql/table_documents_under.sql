-- The documents of one table source (doc_ids `name:key`), for --prune.
SELECT doc_id
FROM {schema}.documents
WHERE starts_with(doc_id, %(prefix)s);
