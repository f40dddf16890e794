-- The rows of a table source: {columns} are the key (as text and as JSON), the text, title and
-- metadata columns, composed from identifiers; {source} is the table, or the --query as a subquery.
SELECT {columns}
FROM {source}
ORDER BY {keys};
