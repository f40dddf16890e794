-- Whether the key columns (attribute numbers) are exactly a primary key or a unique index
-- without a predicate: then no duplicate check is needed.
SELECT EXISTS (
    SELECT 1
    FROM pg_index AS i
    JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = %(oid)s::oid AND i.indisunique AND i.indpred IS NULL
    GROUP BY i.indexrelid, i.indnkeyatts
    HAVING array_agg(a.attname::text ORDER BY a.attname) = (SELECT array_agg(c ORDER BY c) FROM unnest(%(columns)s::text[]) AS c)
       AND count(*) = i.indnkeyatts
) AS is_unique;
