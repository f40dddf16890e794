-- doc_length feeds the BM25 length normalisation and, through a trigger, the collection stats.
UPDATE {schema}.documents AS d
SET doc_length = p.doc_length
FROM (
    SELECT DISTINCT document_id, doc_length
    FROM {schema}.postings
    WHERE document_id = ANY(%(document_ids)s::bigint[])
) AS p
WHERE d.id = p.document_id;
