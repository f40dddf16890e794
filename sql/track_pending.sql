-- How many changes wait in a source's queue.
SELECT count(*) AS pending FROM pgvsearch.{queue};
