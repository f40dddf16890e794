-- The collection registry as a Citus reference table (`pgvsearch init --distributed`): a copy on
-- every node, so that a query planned on a worker, or joined with a distributed table, reads it
-- locally. Run once per database.
SELECT create_reference_table('pgvsearch.collections');
