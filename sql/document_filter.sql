-- Filters on documents (alias d), shared by every search: sql/prefix_filter.sql, then the
-- metadata. A NULL prefix and an empty metadata object mean "no filter"; metadata values
-- compare as text. Where documents are looked up by the filter, sql/metadata_pairs_filter.sql
-- is added to it so that a --meta filter reads its GIN index; this test alone decides (a JSON
-- null in the filter, "key missing or null", has no pair).
{prefix_filter}
AND NOT EXISTS (
    SELECT 1 FROM jsonb_each_text(%(meta)s::jsonb) AS f (key, value)
    WHERE (d.metadata ->> f.key) IS DISTINCT FROM f.value
)
