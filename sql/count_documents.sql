-- Documents a search may return (the placeholder is `true` or the search's document filter):
-- decides whether a semantic search that found fewer than k documents can find more (search.py).
SELECT count(*) FROM {schema}.documents AS d WHERE {doc_filter}
