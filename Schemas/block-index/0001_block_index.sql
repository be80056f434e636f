-- Vigil block index, version 1: one database per zone.
-- Applied by `vigil migrate --database URL`; see Schemas/README.md.

-- Storage nodes of this zone.
CREATE TABLE nodes (
    id          integer PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    -- Base URL of the node's HTTP API, e.g. http://127.0.0.1:7101
    address     text NOT NULL,
    -- 'up' | 'down' | 'draining' | 'retired' (operator or master view)
    state       text NOT NULL DEFAULT 'up' CHECK (state IN ('up', 'down', 'draining', 'retired')),
    added_at    timestamptz NOT NULL DEFAULT now()
);

-- Logical containers of blocks. A volume's extents are its replicas' files.
CREATE TABLE volumes (
    id          bigint PRIMARY KEY,
    -- 'open' takes writes; 'sealed' is immutable; 'closed' stops taking writes
    -- after a failed replica write (sealed later); 'retired' after GC or a move.
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'sealed', 'retired')),
    -- Bumped each time the volume's extents are rewritten (repair, GC, move).
    generation  integer NOT NULL DEFAULT 1,
    replication smallint NOT NULL DEFAULT 3 CHECK (replication > 0),
    size_bytes  bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sealed_at   timestamptz
);
CREATE SEQUENCE volume_ids START 1 OWNED BY volumes.id;

-- Which nodes hold a volume's extent.
CREATE TABLE volume_replicas (
    volume_id   bigint NOT NULL REFERENCES volumes (id),
    node_id     integer NOT NULL REFERENCES nodes (id),
    generation  integer NOT NULL DEFAULT 1,
    -- 'live' serves reads; 'repairing' is being rebuilt; 'trashed' awaits unlink.
    state       text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'repairing', 'trashed')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (volume_id, node_id)
);
CREATE INDEX volume_replicas_by_node ON volume_replicas (node_id);

-- One row per block. The primary key covers every column the scanners read,
-- so a key-ordered scan is an index-only scan (keep the table vacuumed).
-- state: 0 live, 1 deleted. checksum: CRC32C of the data, as a signed int4.
CREATE TABLE blocks (
    key         bytea NOT NULL CHECK (length(key) = 32),
    volume_id   bigint NOT NULL,
    length      integer NOT NULL CHECK (length >= 0),
    checksum    integer NOT NULL,
    state       smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT blocks_pkey PRIMARY KEY (key) INCLUDE (volume_id, length, checksum, state)
);
-- volume_id is deliberately not a foreign key: an index row pointing at an
-- unknown volume is a condition the metadata scanner must be able to see.
CREATE INDEX blocks_by_volume ON blocks (volume_id);

-- Delete (move to trash) and unlink instructions, recorded before they are sent.
CREATE TABLE extent_instructions (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('trash', 'unlink', 'restore')),
    node_id     integer NOT NULL,
    volume_id   bigint NOT NULL,
    generation  integer NOT NULL,
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    executed_at timestamptz
);
CREATE INDEX extent_instructions_by_extent ON extent_instructions (node_id, volume_id, generation);

-- Trash inspector results, one row per inspection of one trash extent.
CREATE TABLE trash_inspections (
    id              bigserial PRIMARY KEY,
    node_id         integer NOT NULL,
    volume_id       bigint NOT NULL,
    generation      integer NOT NULL,
    passed          boolean NOT NULL,
    blocks_checked  bigint NOT NULL,
    failures        bigint NOT NULL,
    inspected_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trash_inspections_by_extent ON trash_inspections (node_id, volume_id, generation, inspected_at DESC);

-- What verifiers found. One open finding per (verifier, kind, subject):
-- seeing it again bumps last_seen; it is resolved when repaired or no longer seen.
CREATE TABLE findings (
    id          bigserial PRIMARY KEY,
    verifier    text NOT NULL,
    kind        text NOT NULL,
    -- A stable name of the thing that is wrong, e.g. 'node/2/volume/17/offset/4096'.
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

-- The pass ledger: one row per sweep of one verifier over one scope.
CREATE TABLE passes (
    id              bigserial PRIMARY KEY,
    verifier        text NOT NULL,
    scope           text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    items_checked   bigint NOT NULL DEFAULT 0,
    bytes_checked   bigint NOT NULL DEFAULT 0,
    findings        bigint NOT NULL DEFAULT 0,
    -- 'running' | 'complete' | 'abandoned'
    state           text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'complete', 'abandoned'))
);
CREATE INDEX passes_by_verifier ON passes (verifier, scope, started_at DESC);

-- Where each verifier is in its current pass, persisted often.
CREATE TABLE cursors (
    verifier    text NOT NULL,
    scope       text NOT NULL,
    pass_id     bigint NOT NULL REFERENCES passes (id),
    position    bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (verifier, scope)
);

-- Repairs the master executes: rebuild one replica from a verified-good one.
CREATE TABLE repair_queue (
    id          bigserial PRIMARY KEY,
    volume_id   bigint NOT NULL,
    node_id     integer NOT NULL,
    reason      text NOT NULL,
    requested_by text NOT NULL,
    -- 'pending' | 'running' | 'done' | 'failed'
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- At most one outstanding repair per replica.
CREATE UNIQUE INDEX repair_queue_outstanding ON repair_queue (volume_id, node_id) WHERE state IN ('pending', 'running');
