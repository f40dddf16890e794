-- One key value held by more than one row of the source ({keys}: the --id columns), if any.
SELECT {key_text} AS key_text, count(*) AS n
FROM {source}
GROUP BY {keys}
HAVING count(*) > 1
LIMIT 1;
