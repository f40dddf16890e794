-- The row every search function returns (docs/sql.md): the columns of sql/hits.sql, in order.
-- Created once; a later version that changes these columns must drop the type with its functions.
DO $do$
BEGIN
    CREATE TYPE {schema}.search_hit AS (
        rank           bigint,
        doc_id         text,
        title          text,
        source         text,
        metadata       jsonb,
        chunk          integer,
        text           text,
        score          float8,
        semantic_rank  bigint,
        keyword_rank   bigint,
        similarity     float8,
        bm25           float8
    );
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$do$;
