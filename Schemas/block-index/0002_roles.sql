-- Least privilege. Verifiers read the index and write only findings, passes,
-- cursors, trash inspections and repair requests; the store's daemons own the
-- data. Roles are cluster-wide: created once, granted per database.
-- In production give them passwords (ALTER ROLE … PASSWORD) or certificates.
DO $$
BEGIN
    BEGIN
        CREATE ROLE vigil_verifier LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database made it
    END;
    BEGIN
        CREATE ROLE vigil_store LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;

GRANT USAGE ON SCHEMA public TO vigil_verifier, vigil_store;

-- The store: everything on the data.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO vigil_store;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO vigil_store;

-- Verifiers: read everything, write their own records only.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO vigil_verifier;
GRANT INSERT, UPDATE ON findings, passes, cursors, trash_inspections, repair_queue TO vigil_verifier;
GRANT DELETE ON cursors TO vigil_verifier;
GRANT USAGE ON SEQUENCE findings_id_seq, passes_id_seq, trash_inspections_id_seq, repair_queue_id_seq TO vigil_verifier;
