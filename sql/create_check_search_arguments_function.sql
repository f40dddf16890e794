-- The checks every search function makes of its arguments (as the CLI checks its options), so
-- that an application gets a plain error rather than rows it did not ask for (a NULL k would be
-- no LIMIT at all).
CREATE OR REPLACE FUNCTION {schema}.check_search_arguments(
    k                integer,
    candidates       integer,
    rrf_k            float8 DEFAULT 60,
    fusion           text DEFAULT 'rrf',
    semantic_weight  float8 DEFAULT 1,
    keyword_weight   float8 DEFAULT 1,
    k1               float8 DEFAULT 1.2,
    b                float8 DEFAULT 0.75
) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $function$
BEGIN
    IF NOT coalesce(k >= 1, false) THEN
        RAISE EXCEPTION 'k must be at least 1, not %', coalesce(k::text, 'null') USING ERRCODE = 'invalid_parameter_value';
    ELSIF NOT coalesce(candidates >= 1, false) THEN
        RAISE EXCEPTION 'candidates must be at least 1, not %', coalesce(candidates::text, 'null') USING ERRCODE = 'invalid_parameter_value';
    ELSIF NOT coalesce(rrf_k >= 0, false) THEN
        RAISE EXCEPTION 'rrf_k must not be negative or null' USING ERRCODE = 'invalid_parameter_value';
    ELSIF fusion IS NULL OR fusion NOT IN ('rrf', 'dbsf') THEN
        RAISE EXCEPTION 'fusion must be rrf or dbsf, not %', coalesce(quote_literal(fusion), 'null') USING ERRCODE = 'invalid_parameter_value';
    ELSIF NOT coalesce(semantic_weight >= 0 AND keyword_weight >= 0, false) THEN
        RAISE EXCEPTION 'semantic_weight and keyword_weight must not be negative or null' USING ERRCODE = 'invalid_parameter_value';
    ELSIF NOT coalesce(k1 >= 0 AND b >= 0 AND b <= 1, false) THEN
        RAISE EXCEPTION 'BM25 needs k1 >= 0 and 0 <= b <= 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$function$;
