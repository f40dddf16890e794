-- How pgvsearch itself runs a keyword search: through the collection's SQL function.
SELECT * FROM {schema}.keyword_search(
    query => %(query)s::text, k => %(k)s::integer, candidates => %(candidates)s::integer,
    k1 => %(k1)s::float8, b => %(b)s::float8, prefix => %(prefix)s::text, metadata => %(meta)s::jsonb)
ORDER BY rank
