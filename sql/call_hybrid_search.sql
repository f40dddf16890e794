-- How pgvsearch itself runs a hybrid search: through the collection's SQL function.
SELECT * FROM {schema}.hybrid_search(
    query => %(query)s::text, query_embedding => %(embedding)s::{vector_type},
    k => %(k)s::integer, candidates => %(candidates)s::integer, rrf_k => %(rrf_k)s::float8, fusion => %(fusion)s::text,
    semantic_weight => %(semantic_weight)s::float8, keyword_weight => %(keyword_weight)s::float8,
    k1 => %(k1)s::float8, b => %(b)s::float8, prefix => %(prefix)s::text, metadata => %(meta)s::jsonb)
ORDER BY rank
