-- A first tracked run embeds every row: queue every key of the table ({pairs}: 'col', col, ...).
INSERT INTO pgvsearch.{queue} (key)
SELECT jsonb_build_object({pairs})
FROM {table};
