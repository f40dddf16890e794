-- The chunks around each retrieved chunk, for `ask`: a passage is the document's best chunk
-- with its neighbours (small chunks rank precisely; the language model reads the context).
-- context is the chunk's title / heading path line, to show where a section changes.
SELECT w.doc_id, c.position, c.context, c.content
FROM unnest(%(doc_ids)s::text[], %(positions)s::int[]) AS w (doc_id, position)
JOIN {schema}.documents AS d ON d.doc_id = w.doc_id
JOIN {schema}.chunks AS c
  ON c.document_id = d.id AND c.position BETWEEN w.position - %(radius)s AND w.position + %(radius)s
ORDER BY w.doc_id, c.position
