-- One role per component kind and row-level security on the global verifiers'
-- ledger (see block-index/0005_component_roles.sql, which this mirrors): the
-- cross-zone verifier (vigil_cross_zone) writes only its own findings, passes
-- and cursors; resolving by hand takes vigil_operator.
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
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_verifier' AND rolcanlogin) THEN
        ALTER ROLE vigil_verifier NOLOGIN;
    END IF;
END
$$;

GRANT vigil_verifier TO vigil_scrubber, vigil_scanner, vigil_inspector, vigil_referee, vigil_watcher, vigil_cross_zone;

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

ALTER TABLE findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY findings_read ON findings FOR SELECT USING (true);
CREATE POLICY findings_own_insert ON findings FOR INSERT
    WITH CHECK (verifier = vigil_own_verifier() AND coalesce(resolution, '') NOT LIKE 'by hand:%');
CREATE POLICY findings_own_update ON findings FOR UPDATE USING (verifier = vigil_own_verifier())
    WITH CHECK (verifier = vigil_own_verifier() AND coalesce(resolution, '') NOT LIKE 'by hand:%');
CREATE POLICY findings_resolve_by_hand ON findings FOR UPDATE TO vigil_operator USING (true)
    WITH CHECK (resolution LIKE 'by hand:%');

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

GRANT USAGE ON SCHEMA public TO vigil_operator;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO vigil_operator;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO vigil_operator;
GRANT UPDATE (resolved_at, resolution) ON findings TO vigil_operator;
