-- The verifier ledger, version 2: a finding can only be raised, seen again and
-- resolved. Until now `findings_own_update` let a component rewrite any column
-- of its own findings, so one verifier credential could downgrade a critical,
-- backdate it and resolve it 40 days ago, and the gate (which trusts severity,
-- last_seen and resolved_at) stopped seeing it.
--
-- For every component role (those `vigil_own_verifier()` names, and
-- vigil_operator) the server now:
--   * stamps first_seen and last_seen at insert, last_seen whenever a writer
--     moves it, and resolved_at at resolution, with clock_timestamp() (the wall
--     clock, so a transaction held open cannot backdate either);
--   * refuses an insert that is already resolved;
--   * refuses a change of id, verifier, kind, subject, severity, scope or
--     first_seen, and any change at all to a resolved finding;
--   * refuses a resolution without its reason, and an operator's that is not
--     'by hand: …' (row-level security already keeps 'by hand:' for the operator).
-- The database owner (migrations, an administrator, tests seeding a ledger) is
-- trusted as before. No component deletes a finding.
CREATE OR REPLACE FUNCTION findings_append_and_observe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF vigil_own_verifier() IS NULL AND current_user <> 'vigil_operator' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.resolved_at IS NOT NULL OR NEW.resolution IS NOT NULL THEN
            RAISE EXCEPTION 'a finding is raised open: % may not insert one already resolved', current_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.first_seen := clock_timestamp();
        NEW.last_seen := NEW.first_seen;
        RETURN NEW;
    END IF;
    IF OLD.resolved_at IS NOT NULL THEN
        RAISE EXCEPTION 'finding % is resolved: % may not change it', OLD.id, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.id, NEW.verifier, NEW.kind, NEW.subject, NEW.severity, NEW.scope, NEW.first_seen)
       IS DISTINCT FROM (OLD.id, OLD.verifier, OLD.kind, OLD.subject, OLD.severity, OLD.scope, OLD.first_seen) THEN
        RAISE EXCEPTION 'finding %: kind, subject, severity, verifier, scope and first_seen never change (% tried)', OLD.id, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.last_seen := CASE WHEN NEW.last_seen IS DISTINCT FROM OLD.last_seen THEN clock_timestamp() ELSE OLD.last_seen END;
    IF NEW.resolved_at IS NOT NULL OR NEW.resolution IS NOT NULL THEN
        IF NEW.resolved_at IS NULL OR coalesce(NEW.resolution, '') = '' THEN
            RAISE EXCEPTION 'finding %: a resolution needs both resolved_at and its reason', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF current_user = 'vigil_operator' AND NEW.resolution NOT LIKE 'by hand:%' THEN
            RAISE EXCEPTION 'finding %: an operator resolves by hand only (''by hand: why'')', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.resolved_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS findings_append_and_observe ON findings;
CREATE TRIGGER findings_append_and_observe BEFORE INSERT OR UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_append_and_observe();

-- The store wrote findings as 'master' with DELETE granted alongside the data;
-- nothing deletes a finding, and a deleted critical is one the gate cannot see.
REVOKE DELETE ON findings FROM vigil_store;
