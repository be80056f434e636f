-- Which volumes' replica sets changed, and in which transaction: what lets the
-- metadata scanner keep its volume -> live replicas map without re-reading the
-- whole replica table. Triggers log every insert and delete of volumes, every
-- change of a volume's replication, and every insert, update and delete of
-- volume_replicas (whoever makes it) as (volume, transaction id).
--
-- A reader remembers the oldest transaction still running when it last read
-- (pg_snapshot_xmin(pg_current_snapshot())) and next reads the volumes logged
-- with a txid at least that: a change committed after its read, in whatever
-- order the transactions commit, has such a txid. Not a timestamp or a
-- sequence: both are taken before commit, so a later commit can carry a
-- smaller one. A TRUNCATE logs volume -1: every volume changed.
--
-- Append-only, so writers never wait on each other here; about one insert in a
-- hundred also prunes entries older than a day (one pruner at a time) and
-- records in volume_changes_pruned the txid below which the log is incomplete:
-- a reader whose mark is older re-reads everything.
CREATE TABLE volume_changes (
    volume_id   bigint NOT NULL,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volume_changes_by_txid ON volume_changes (txid);

CREATE TABLE volume_changes_pruned (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    below       xid8 NOT NULL
);
INSERT INTO volume_changes_pruned (below) VALUES ('0');

-- SECURITY DEFINER: every writer of the replica tables logs its change
-- without a grant of its own on the log.
CREATE FUNCTION vigil_log_volume_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    horizon xid8;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO volume_changes (volume_id) VALUES (-1);
    ELSIF TG_TABLE_NAME = 'volumes' THEN
        INSERT INTO volume_changes (volume_id) SELECT DISTINCT v FROM unnest(ARRAY[NEW.id, OLD.id]) AS v WHERE v IS NOT NULL;
    ELSE
        INSERT INTO volume_changes (volume_id)
            SELECT DISTINCT v FROM unnest(ARRAY[NEW.volume_id, OLD.volume_id]) AS v WHERE v IS NOT NULL;
    END IF;
    IF random() < 0.01 AND pg_try_advisory_xact_lock(hashtext('vigil_volume_changes_prune')) THEN
        SELECT max(txid) INTO horizon FROM volume_changes WHERE changed_at < now() - interval '1 day';
        IF horizon IS NOT NULL THEN
            UPDATE volume_changes_pruned SET below = horizon WHERE below < horizon;
            DELETE FROM volume_changes WHERE txid <= horizon;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER volume_replicas_logged AFTER INSERT OR UPDATE OR DELETE ON volume_replicas
    FOR EACH ROW EXECUTE FUNCTION vigil_log_volume_change();
CREATE TRIGGER volume_replicas_truncate_logged AFTER TRUNCATE ON volume_replicas
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_log_volume_change();
CREATE TRIGGER volumes_logged AFTER INSERT OR DELETE OR UPDATE OF id, replication ON volumes
    FOR EACH ROW EXECUTE FUNCTION vigil_log_volume_change();
CREATE TRIGGER volumes_truncate_logged AFTER TRUNCATE ON volumes
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_log_volume_change();

GRANT SELECT ON volume_changes, volume_changes_pruned TO vigil_verifier, vigil_store;
