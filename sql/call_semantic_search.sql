-- How pgvsearch itself runs a semantic search: through the collection's SQL function.
SELECT * FROM {schema}.semantic_search(
    query_embedding => %(embedding)s::{vector_type}, k => %(k)s::integer, candidates => %(candidates)s::integer,
    prefix => %(prefix)s::text, metadata => %(meta)s::jsonb)
ORDER BY rank
