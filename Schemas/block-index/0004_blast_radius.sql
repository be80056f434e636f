-- Blast-radius cap: the master refuses a round of trash, unlink, install-over or
-- drain that would touch more than a share of a node's or the zone's extents
-- within a sliding window (see Sources/VigilMaster/BlastRadius.swift). An operator
-- lifts it for one node, for a while, with a recorded row: `vigil drain N
-- --lift-blast-radius-cap` writes one. Rows are never edited; an expired row is
-- simply no longer in force.
CREATE TABLE blast_radius_overrides (
    id          bigserial PRIMARY KEY,
    -- The node whose destructive steps are not capped (nor counted against the zone).
    node_id     integer NOT NULL,
    reason      text NOT NULL CHECK (reason <> ''),
    created_by  text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX blast_radius_overrides_in_force ON blast_radius_overrides (node_id, expires_at);

-- Destructive steps the master took that extent_instructions does not record:
-- an install over an extent the node held (a repair replacing a replica). Trash
-- and unlink are counted from extent_instructions.
CREATE TABLE destructive_steps (
    id          bigserial PRIMARY KEY,
    action      text NOT NULL CHECK (action IN ('install-over')),
    node_id     integer NOT NULL,
    volume_id   bigint NOT NULL,
    generation  integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX destructive_steps_by_time ON destructive_steps (action, at, node_id);
-- Counted by time window over executed instructions.
CREATE INDEX extent_instructions_by_execution ON extent_instructions (kind, executed_at) WHERE executed_at IS NOT NULL;

GRANT SELECT, INSERT ON blast_radius_overrides, destructive_steps TO vigil_store;
GRANT USAGE, SELECT ON SEQUENCE blast_radius_overrides_id_seq, destructive_steps_id_seq TO vigil_store;
GRANT SELECT ON blast_radius_overrides, destructive_steps TO vigil_verifier;
