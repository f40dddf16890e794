-- The source is no longer tracked: later ingests read the whole table again.
UPDATE pgvsearch.table_sources SET queue = NULL, updated_at = now()
WHERE collection = %(collection)s AND name = %(name)s;
