-- Says what a search function is, and which SQL it was generated from (sql/search_functions_installed.sql).
COMMENT ON FUNCTION {function} IS {comment}
