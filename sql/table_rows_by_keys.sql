-- The rows of the given keys (a tracked ingest), NULL where a row is gone: the keys arrive as JSON objects and are read
-- back as the table's own row type, so the join uses the table's key index.
SELECT {columns}
FROM jsonb_populate_recordset(NULL::{table}, %(keys)s::jsonb) AS k
LEFT JOIN {table} AS t ON {join};
