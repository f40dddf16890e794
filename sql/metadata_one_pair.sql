-- Is the search's --meta filter (alone, no --prefix) one key whose value is not null and holds no
-- U+001F? Then its one "key<US>value" pair (sql/create_collection.sql's metadata_pairs) names
-- exactly that key and value, and the documents that have it are what the filter admits
-- (a null means "key missing or null", which has no pair). Part of sql/filter_is_narrow.sql;
-- made of the parameters only, so a plan made for their values keeps just one lookup.
coalesce(%(prefix)s::text IS NULL AND jsonb_typeof(%(meta)s::jsonb) = 'object'
         AND cardinality({schema}.metadata_pairs(%(meta)s::jsonb)) = 1 AND NOT %(meta)s::jsonb @? '$.* ? (@ == null)'
         AND strpos(%(meta)s::jsonb::text, '\u001f') = 0, false)
