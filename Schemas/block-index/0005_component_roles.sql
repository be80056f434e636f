-- Least privilege that means it: one role per component kind, and row-level
-- security so a verifier writes only its own rows.
--
--   vigil_store       frontend and master (the data; findings as 'master')
--   vigil_scrubber    disk scrubber        ('disk-scrubber')
--   vigil_scanner     metadata scanner     ('metadata-scanner')
--   vigil_inspector   trash inspector      ('trash-inspector'; the only writer of trash_inspections)
--   vigil_referee     extent referee       ('extent-referee')
--   vigil_watcher     storage watcher      ('storage-watcher')
--   vigil_cross_zone  cross-zone verifier  ('cross-zone-verifier')
--   vigil_operator    the CLI: reads everything, resolves findings by hand
--
-- vigil_verifier is now a NOLOGIN group holding what every verifier reads.
-- Roles are cluster-wide (created once, by whichever database migrates first);
-- give each a password (`ALTER ROLE … PASSWORD`, or `vigil dev up` does it).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['vigil_scrubber', 'vigil_scanner', 'vigil_inspector', 'vigil_referee',
                             'vigil_watcher', 'vigil_cross_zone', 'vigil_operator'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN', r);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database made it
        END;
    END LOOP;
    -- Conditional: an ALTER of a role another migration is altering fails ("tuple concurrently updated").
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_verifier' AND rolcanlogin) THEN
        ALTER ROLE vigil_verifier NOLOGIN;
    END IF;
END
$$;

GRANT vigil_verifier TO vigil_scrubber, vigil_scanner, vigil_inspector, vigil_referee, vigil_watcher, vigil_cross_zone;

-- The verifier id a role writes as: a verifier's findings, passes, cursors and
-- repair requests carry it. NULL for every other role (which then owns no row).
CREATE OR REPLACE FUNCTION vigil_own_verifier() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE current_user
        WHEN 'vigil_scrubber' THEN 'disk-scrubber'
        WHEN 'vigil_scanner' THEN 'metadata-scanner'
        WHEN 'vigil_inspector' THEN 'trash-inspector'
        WHEN 'vigil_referee' THEN 'extent-referee'
        WHEN 'vigil_watcher' THEN 'storage-watcher'
        WHEN 'vigil_cross_zone' THEN 'cross-zone-verifier'
        WHEN 'vigil_store' THEN 'master'
    END
$$;

-- Findings: everyone with SELECT reads all; a role writes only its own, and
-- never with the by-hand resolution (`vigil findings resolve`), which the gate
-- lets through: that takes vigil_operator.
ALTER TABLE findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY findings_read ON findings FOR SELECT USING (true);
CREATE POLICY findings_own_insert ON findings FOR INSERT
    WITH CHECK (verifier = vigil_own_verifier() AND coalesce(resolution, '') NOT LIKE 'by hand:%');
CREATE POLICY findings_own_update ON findings FOR UPDATE USING (verifier = vigil_own_verifier())
    WITH CHECK (verifier = vigil_own_verifier() AND coalesce(resolution, '') NOT LIKE 'by hand:%');
CREATE POLICY findings_resolve_by_hand ON findings FOR UPDATE TO vigil_operator USING (true)
    WITH CHECK (resolution LIKE 'by hand:%');

-- Passes and cursors: each verifier its own.
ALTER TABLE passes ENABLE ROW LEVEL SECURITY;
CREATE POLICY passes_read ON passes FOR SELECT USING (true);
CREATE POLICY passes_own_insert ON passes FOR INSERT WITH CHECK (verifier = vigil_own_verifier());
CREATE POLICY passes_own_update ON passes FOR UPDATE USING (verifier = vigil_own_verifier())
    WITH CHECK (verifier = vigil_own_verifier());

ALTER TABLE cursors ENABLE ROW LEVEL SECURITY;
CREATE POLICY cursors_read ON cursors FOR SELECT USING (true);
CREATE POLICY cursors_own_insert ON cursors FOR INSERT WITH CHECK (verifier = vigil_own_verifier());
CREATE POLICY cursors_own_update ON cursors FOR UPDATE USING (verifier = vigil_own_verifier())
    WITH CHECK (verifier = vigil_own_verifier());
CREATE POLICY cursors_own_delete ON cursors FOR DELETE USING (verifier = vigil_own_verifier());

-- Repair requests: a verifier asks in its own name; the store (the frontend's
-- requests, the master executing them) owns the queue.
ALTER TABLE repair_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY repair_queue_read ON repair_queue FOR SELECT USING (true);
CREATE POLICY repair_queue_request ON repair_queue FOR INSERT WITH CHECK (requested_by = vigil_own_verifier());
CREATE POLICY repair_queue_store ON repair_queue TO vigil_store USING (true) WITH CHECK (true);
REVOKE UPDATE ON repair_queue FROM vigil_verifier;

-- Trash inspections: what the master unlinks on. Inserted by the inspector
-- alone, never changed or deleted (except by the superuser), stamped by the
-- server with the time and the role that wrote it. Rows from before this
-- migration are 'unattributed': no unlink relies on them (the inspector's next
-- pass writes attributed ones).
ALTER TABLE trash_inspections ADD COLUMN inspected_by text NOT NULL DEFAULT 'unattributed';
ALTER TABLE trash_inspections ALTER COLUMN inspected_by DROP DEFAULT;
CREATE OR REPLACE FUNCTION trash_inspections_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The wall clock, not the transaction's start: a transaction held open cannot backdate a row.
    NEW.inspected_at := clock_timestamp();
    NEW.inspected_by := current_user;
    RETURN NEW;
END
$$;
CREATE TRIGGER trash_inspections_stamp BEFORE INSERT ON trash_inspections
    FOR EACH ROW EXECUTE FUNCTION trash_inspections_stamp();
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON trash_inspections FROM vigil_verifier, vigil_store;
GRANT INSERT ON trash_inspections TO vigil_inspector;
GRANT USAGE ON SEQUENCE trash_inspections_id_seq TO vigil_inspector;

-- Instructions: the master records them and marks them executed, nothing more.
-- The server stamps created_at (an unlink waits for an inspection newer than the
-- last trash instruction: a backdated one would let an old inspection count).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON extent_instructions FROM vigil_store;
GRANT INSERT (kind, node_id, volume_id, generation, reason), UPDATE (executed_at) ON extent_instructions TO vigil_store;

-- The operator (the CLI's gate, findings, status): reads all, resolves by hand.
GRANT USAGE ON SCHEMA public TO vigil_operator;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO vigil_operator;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO vigil_operator;  -- later migrations' tables too
GRANT UPDATE (resolved_at, resolution) ON findings TO vigil_operator;
