-- The global verifiers (the cross-zone verifier) keep their ledger in the
-- File Journal's database: the same findings, passes and cursors tables as a
-- zone's block index.

CREATE TABLE findings (
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
CREATE UNIQUE INDEX findings_open_subject ON findings (verifier, kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX findings_open ON findings (severity, verifier) WHERE resolved_at IS NULL;

CREATE TABLE passes (
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
CREATE INDEX passes_by_verifier ON passes (verifier, scope, started_at DESC);

CREATE TABLE cursors (
    verifier    text NOT NULL,
    scope       text NOT NULL,
    pass_id     bigint NOT NULL REFERENCES passes (id),
    position    bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (verifier, scope)
);

-- Users get ids from a sequence when `vigil put-file` creates them.
CREATE SEQUENCE user_ids START 1 OWNED BY users.id;
