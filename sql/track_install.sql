-- `pgvsearch track`: a change queue owned by pgvsearch and AFTER triggers on the source table that
-- record the key of every inserted, updated or deleted row in it (and NOTIFY `ingest --follow`);
-- a TRUNCATE queues one change whose key is JSON null (every row may be gone).
-- Placeholders: {queue} (the queue table in schema pgvsearch), {trigger} and {truncate_trigger},
-- {table}, {columns} (the
-- columns whose change matters: key, text, title, metadata) and {arguments} (the queue's name,
-- then the key columns, as literals).
CREATE SCHEMA IF NOT EXISTS pgvsearch;

CREATE TABLE IF NOT EXISTS pgvsearch.{queue} (
    queue_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        jsonb NOT NULL,                 -- the key columns of the row, as a JSON object (id: 42)
    queued_at  timestamptz NOT NULL DEFAULT now()
);

-- One function for every tracked table: its arguments name the queue and the key columns. It runs
-- as its owner (who ran `track`), so the application's roles need no right on schema pgvsearch.
CREATE OR REPLACE FUNCTION pgvsearch.enqueue_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $pgvsearch$
DECLARE
    new_key jsonb;
    old_key jsonb;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        SELECT jsonb_object_agg(k, to_jsonb(NEW) -> k) INTO new_key FROM unnest(TG_ARGV[1:]) AS k;
        EXECUTE format('INSERT INTO pgvsearch.%I (key) VALUES ($1)', TG_ARGV[0]) USING new_key;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT jsonb_object_agg(k, to_jsonb(OLD) -> k) INTO old_key FROM unnest(TG_ARGV[1:]) AS k;
        IF old_key IS DISTINCT FROM new_key THEN  -- a deleted row, or a key that changed
            EXECUTE format('INSERT INTO pgvsearch.%I (key) VALUES ($1)', TG_ARGV[0]) USING old_key;
        END IF;
    END IF;
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$pgvsearch$;

-- TRUNCATE fires no row trigger: a statement trigger queues a JSON null key, and the tracked ingest
-- that claims it deletes the documents of every row no longer in the table.
CREATE OR REPLACE FUNCTION pgvsearch.enqueue_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $pgvsearch$
BEGIN
    EXECUTE format('INSERT INTO pgvsearch.%I (key) VALUES (''null''::jsonb)', TG_ARGV[0]);
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$pgvsearch$;

DROP TRIGGER IF EXISTS {trigger} ON {table};
CREATE TRIGGER {trigger}
    AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table}
    FOR EACH ROW EXECUTE FUNCTION pgvsearch.enqueue_change({arguments});

DROP TRIGGER IF EXISTS {truncate_trigger} ON {table};
CREATE TRIGGER {truncate_trigger}
    AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION pgvsearch.enqueue_truncate({queue_name});
