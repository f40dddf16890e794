-- The key of every row of a table source ({keys}: each key column as text), after a TRUNCATE:
-- the documents of the keys not listed are deleted.
SELECT {keys}
FROM {table};
