-- The verifier ledger, version 3: a repair request names the generation of the
-- replica it judged, and the master closes one it does not carry out.
--
-- Until now a request named only (volume, node): a request about generation 1
-- that the master reached after a repair had installed generation 2 replaced
-- the fresh copy (and the next stale accusation the one after it). The master
-- now closes a request whose generation is not the replica's current one as
-- `superseded`, and one whose target copy it verifies clean and whole itself
-- as `refused` (a verifier accused a healthy copy). `generation` is NULL only
-- for a requester that names none (the master then judges the replica as it is
-- now, and still verifies the copy before it replaces anything) and for
-- requests finished before this migration.
ALTER TABLE repair_queue ADD COLUMN IF NOT EXISTS generation integer;

ALTER TABLE repair_queue DROP CONSTRAINT IF EXISTS repair_queue_state_check;
ALTER TABLE repair_queue ADD CONSTRAINT repair_queue_state_check
    CHECK (state IN ('pending', 'running', 'done', 'failed', 'superseded', 'refused'));

-- Requests outstanding when this runs were about the replica as it is now.
DO $$
BEGIN
    IF to_regclass('volume_replicas') IS NOT NULL THEN
        UPDATE repair_queue q SET generation = r.generation FROM volume_replicas r
        WHERE q.generation IS NULL AND q.state IN ('pending', 'running')
          AND r.volume_id = q.volume_id AND r.node_id = q.node_id;
    END IF;
END
$$;

-- One outstanding request per replica generation: a stale request waiting in
-- the queue never hides a request about the copy that is there now.
DROP INDEX IF EXISTS repair_queue_outstanding;
CREATE UNIQUE INDEX repair_queue_outstanding ON repair_queue (volume_id, node_id, generation) NULLS NOT DISTINCT
    WHERE state IN ('pending', 'running');
