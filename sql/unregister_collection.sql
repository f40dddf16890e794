DELETE FROM pgvsearch.collections WHERE name = %(name)s;
