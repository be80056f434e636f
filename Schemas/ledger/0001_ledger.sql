-- The verifier ledger, version 1: findings, passes, cursors and repair requests,
-- applied alike to every zone's block index and to the File Journal (Migrator
-- runs this set after either; `Sources/VigilLedger` is its Swift side). Until
-- now block-index/0001 + 0005 and file-journal/0002 + 0004 each wrote it: this
-- migration is idempotent over both, so a deployed database keeps every row
-- and only gains what its kind lacked (the journal its repair queue). Ledger
-- changes from here on are the next number in this folder, never in the
-- block-index or file-journal sets.

-- Roles: one per component kind (see block-index/0005_component_roles.sql).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['vigil_store', 'vigil_scrubber', 'vigil_scanner', 'vigil_inspector', 'vigil_referee',
                             'vigil_watcher', 'vigil_cross_zone', 'vigil_operator'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN', r);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database made it
        END;
    END LOOP;
    BEGIN
        CREATE ROLE vigil_verifier NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;
GRANT vigil_verifier TO vigil_scrubber, vigil_scanner, vigil_inspector, vigil_referee, vigil_watcher, vigil_cross_zone;

-- What verifiers found. One open finding per (verifier, kind, subject).
CREATE TABLE IF NOT EXISTS findings (
    id          bigserial PRIMARY KEY,
    verifier    text NOT NULL,
    kind        text NOT NULL,
    subject     text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    scope       text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolution  text
);
CREATE UNIQUE INDEX IF NOT EXISTS findings_open_subject ON findings (verifier, kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS findings_open ON findings (severity, verifier) WHERE resolved_at IS NULL;

-- The pass ledger: one row per sweep of one verifier over one scope.
CREATE TABLE IF NOT EXISTS passes (
    id              bigserial PRIMARY KEY,
    verifier        text NOT NULL,
    scope           text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    items_checked   bigint NOT NULL DEFAULT 0,
    bytes_checked   bigint NOT NULL DEFAULT 0,
    findings        bigint NOT NULL DEFAULT 0,
    state           text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'complete', 'abandoned'))
);
CREATE INDEX IF NOT EXISTS passes_by_verifier ON passes (verifier, scope, started_at DESC);

-- Where each verifier is in its current pass.
CREATE TABLE IF NOT EXISTS cursors (
    verifier    text NOT NULL,
    scope       text NOT NULL,
    pass_id     bigint NOT NULL REFERENCES passes (id),
    position    bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (verifier, scope)
);

-- Repairs the master executes: rebuild one replica from a verified-good one.
-- In the journal it stays empty until a global verifier asks for one.
CREATE TABLE IF NOT EXISTS repair_queue (
    id          bigserial PRIMARY KEY,
    volume_id   bigint NOT NULL,
    node_id     integer NOT NULL,
    reason      text NOT NULL,
    requested_by text NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS repair_queue_outstanding ON repair_queue (volume_id, node_id) WHERE state IN ('pending', 'running');

-- The verifier id a role writes as; NULL for every other role (which then owns no row).
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

-- Row-level security: everyone with SELECT reads all; a verifier writes only its
-- own rows, never a by-hand resolution (that takes vigil_operator); the store
-- owns the repair queue. A policy a database already has is left as it is.
ALTER TABLE findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE passes ENABLE ROW LEVEL SECURITY;
ALTER TABLE cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE repair_queue ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE
    p text[];
BEGIN
    FOREACH p SLICE 1 IN ARRAY ARRAY[
        ['findings', 'findings_read', 'FOR SELECT USING (true)'],
        ['findings', 'findings_own_insert', $p$FOR INSERT WITH CHECK (verifier = vigil_own_verifier() AND coalesce(resolution, '') NOT LIKE 'by hand:%')$p$],
        ['findings', 'findings_own_update', $p$FOR UPDATE USING (verifier = vigil_own_verifier()) WITH CHECK (verifier = vigil_own_verifier() AND coalesce(resolution, '') NOT LIKE 'by hand:%')$p$],
        ['findings', 'findings_resolve_by_hand', $p$FOR UPDATE TO vigil_operator USING (true) WITH CHECK (resolution LIKE 'by hand:%')$p$],
        ['passes', 'passes_read', 'FOR SELECT USING (true)'],
        ['passes', 'passes_own_insert', 'FOR INSERT WITH CHECK (verifier = vigil_own_verifier())'],
        ['passes', 'passes_own_update', 'FOR UPDATE USING (verifier = vigil_own_verifier()) WITH CHECK (verifier = vigil_own_verifier())'],
        ['cursors', 'cursors_read', 'FOR SELECT USING (true)'],
        ['cursors', 'cursors_own_insert', 'FOR INSERT WITH CHECK (verifier = vigil_own_verifier())'],
        ['cursors', 'cursors_own_update', 'FOR UPDATE USING (verifier = vigil_own_verifier()) WITH CHECK (verifier = vigil_own_verifier())'],
        ['cursors', 'cursors_own_delete', 'FOR DELETE USING (verifier = vigil_own_verifier())'],
        ['repair_queue', 'repair_queue_read', 'FOR SELECT USING (true)'],
        ['repair_queue', 'repair_queue_request', 'FOR INSERT WITH CHECK (requested_by = vigil_own_verifier())'],
        ['repair_queue', 'repair_queue_store', 'TO vigil_store USING (true) WITH CHECK (true)']
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema() AND tablename = p[1] AND policyname = p[2]) THEN
            EXECUTE format('CREATE POLICY %I ON %I %s', p[2], p[1], p[3]);
        END IF;
    END LOOP;
END
$$;

-- Privileges (GRANT is idempotent). The store: the data, findings as 'master',
-- the repair queue. Verifiers: read the ledger, write their own records, ask for
-- repairs but never change one. The operator: reads all, resolves by hand.
GRANT USAGE ON SCHEMA public TO vigil_verifier, vigil_store, vigil_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON findings, passes, cursors, repair_queue TO vigil_store;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE findings_id_seq, passes_id_seq, repair_queue_id_seq TO vigil_store;
GRANT SELECT ON findings, passes, cursors, repair_queue TO vigil_verifier;
GRANT INSERT, UPDATE ON findings, passes, cursors TO vigil_verifier;
GRANT DELETE ON cursors TO vigil_verifier;
GRANT INSERT ON repair_queue TO vigil_verifier;
REVOKE UPDATE, DELETE ON repair_queue FROM vigil_verifier;
GRANT USAGE ON SEQUENCE findings_id_seq, passes_id_seq, repair_queue_id_seq TO vigil_verifier;
GRANT SELECT ON findings, passes, cursors, repair_queue TO vigil_operator;
GRANT UPDATE (resolved_at, resolution) ON findings TO vigil_operator;
