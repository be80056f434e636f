-- The verifier ledger, version 4: a pass, a cursor and a repair request are
-- what the server saw happen, not what a credential wrote. Until now row-level
-- security checked only the verifier column: any verifier role could insert a
-- pass already `complete` with any times, counts and scope (the gate signed off
-- on a node whose scrubber was dead), point a cursor past data not yet checked,
-- and insert a repair request already `running` and updated in year 9999 (every
-- real request about that replica was then dropped as a duplicate).
--
-- For every component role (those `vigil_own_verifier()` names, and
-- vigil_operator) the server now:
--   * passes: inserts only a fresh `running` pass (no finish, no counts) with
--     started_at = clock_timestamp(); never changes id, verifier, scope or
--     started_at; moves a pass only from `running` to `complete` (finished_at =
--     clock_timestamp()) or `abandoned`, and never changes it after; refuses a
--     counter that goes down. Nobody but the owner deletes a pass.
--   * cursors: stamps updated_at; never changes verifier or scope; refuses a
--     cursor that does not point at a running pass of its own verifier and scope.
--   * repair requests: every insert by a role other than the store's
--     (vigil_store: the frontend and the master, which executes them) is a fresh
--     request: pending, no attempts, no error, created and updated now.
-- The database owner (migrations, an administrator, tests seeding a ledger) is
-- trusted as before.
--
-- Not bound here: which node's scope a node-scoped verifier writes. Every
-- node's disk scrubber (and extent referee) logs in as the same role, so the
-- database cannot tell node-1's scrubber from node-3's; that takes a credential
-- per node.
CREATE OR REPLACE FUNCTION vigil_is_component() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT vigil_own_verifier() IS NOT NULL OR current_user = 'vigil_operator'
$$;

CREATE OR REPLACE FUNCTION passes_run_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT vigil_is_component() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'pass %: % may not delete a pass', OLD.id, current_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'running' OR NEW.finished_at IS NOT NULL
           OR NEW.items_checked <> 0 OR NEW.bytes_checked <> 0 OR NEW.findings <> 0 THEN
            RAISE EXCEPTION 'a pass starts running with nothing checked: % may not insert one % or with counts', current_user, NEW.state
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.started_at := clock_timestamp();
        RETURN NEW;
    END IF;
    IF OLD.state <> 'running' THEN
        RAISE EXCEPTION 'pass % is %: % may not change it', OLD.id, OLD.state, current_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.id, NEW.verifier, NEW.scope, NEW.started_at) IS DISTINCT FROM (OLD.id, OLD.verifier, OLD.scope, OLD.started_at) THEN
        RAISE EXCEPTION 'pass %: verifier, scope and started_at never change (% tried)', OLD.id, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.items_checked < OLD.items_checked OR NEW.bytes_checked < OLD.bytes_checked OR NEW.findings < 0 THEN
        RAISE EXCEPTION 'pass %: what a pass checked only grows (% tried to lower it)', OLD.id, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.finished_at := CASE WHEN NEW.state = 'complete' THEN clock_timestamp() END;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS passes_run_forward ON passes;
CREATE TRIGGER passes_run_forward BEFORE INSERT OR UPDATE OR DELETE ON passes
    FOR EACH ROW EXECUTE FUNCTION passes_run_forward();

CREATE OR REPLACE FUNCTION cursors_follow_own_pass() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT vigil_is_component() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.verifier, NEW.scope) IS DISTINCT FROM (OLD.verifier, OLD.scope) THEN
        RAISE EXCEPTION 'cursor of % %: verifier and scope never change (% tried)', OLD.verifier, OLD.scope, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM passes p WHERE p.id = NEW.pass_id AND p.verifier = NEW.verifier
                   AND p.scope = NEW.scope AND p.state = 'running') THEN
        RAISE EXCEPTION 'cursor of % %: pass % is not a running pass of that verifier and scope', NEW.verifier, NEW.scope, NEW.pass_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS cursors_follow_own_pass ON cursors;
CREATE TRIGGER cursors_follow_own_pass BEFORE INSERT OR UPDATE ON cursors
    FOR EACH ROW EXECUTE FUNCTION cursors_follow_own_pass();

CREATE OR REPLACE FUNCTION repair_queue_request_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF vigil_is_component() AND current_user <> 'vigil_store' THEN
        NEW.state := 'pending';
        NEW.attempts := 0;
        NEW.last_error := NULL;
        NEW.created_at := clock_timestamp();
        NEW.updated_at := NEW.created_at;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS repair_queue_request_pending ON repair_queue;
CREATE TRIGGER repair_queue_request_pending BEFORE INSERT ON repair_queue
    FOR EACH ROW EXECUTE FUNCTION repair_queue_request_pending();

-- No verifier deletes a pass (none was granted it; said again so no older grant survives).
REVOKE DELETE ON passes FROM vigil_verifier;
