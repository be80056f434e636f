-- Least privilege for the File Journal (see block-index/0002_roles.sql).
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
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO vigil_store;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO vigil_store;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO vigil_verifier;
GRANT INSERT, UPDATE ON findings, passes, cursors TO vigil_verifier;
GRANT DELETE ON cursors TO vigil_verifier;
GRANT USAGE ON SEQUENCE findings_id_seq, passes_id_seq TO vigil_verifier;
