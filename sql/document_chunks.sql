-- One document and a run of its chunks, for reading around a hit (`get_document`, the MCP
-- server): the whole document is chunks 0 .. chunk_count - 1. The document's row comes back
-- even when no chunk falls in the range (position NULL), so "no such document" is no rows.
SELECT d.doc_id, d.source, d.title, d.metadata, d.chunk_count,
       c.position, c.context, c.content
FROM {schema}.documents AS d
LEFT JOIN {schema}.chunks AS c
  ON c.document_id = d.id AND c.position BETWEEN %(first)s AND %(last)s
WHERE d.doc_id = %(doc_id)s
ORDER BY c.position
