-- Installs are recorded instructions, and a node lost for good is re-replicated.
--
-- A node never installs over, replaces or deletes an extent: the master records
-- an 'install' instruction before every install (repair, drain, re-replication),
-- and a bad copy it replaces is first moved to trash by a recorded 'trash'
-- instruction. The extent referee judges every extent that appears in extents/
-- against these rows (unjustified_install).
ALTER TABLE extent_instructions DROP CONSTRAINT extent_instructions_kind_check;
ALTER TABLE extent_instructions ADD CONSTRAINT extent_instructions_kind_check
    CHECK (kind IN ('trash', 'unlink', 'restore', 'install'));

-- 'dead': lost for good (`vigil nodes retire N --dead`, or down longer than the
-- master's --dead-after). Its replicas are re-created on other nodes; once none
-- is left live the master marks it 'retired'. dead_at stays: it was lost, not drained.
ALTER TABLE nodes DROP CONSTRAINT nodes_state_check;
ALTER TABLE nodes ADD CONSTRAINT nodes_state_check CHECK (state IN ('up', 'down', 'draining', 'retired', 'dead'));
ALTER TABLE nodes ADD COLUMN dead_at timestamptz;
ALTER TABLE nodes ADD COLUMN dead_reason text;

-- 'lost': the replica's node is dead; its extent is gone with it and a
-- re-replication replaced it. Never read from, never counted towards R.
ALTER TABLE volume_replicas DROP CONSTRAINT volume_replicas_state_check;
ALTER TABLE volume_replicas ADD CONSTRAINT volume_replicas_state_check CHECK (state IN ('live', 'repairing', 'trashed', 'lost'));

-- One row per replica of a dead node re-created elsewhere: time to full R is
-- finished_at - node_lost_at (what `vigil durability` and DRT measure).
CREATE TABLE rereplications (
    id              bigserial PRIMARY KEY,
    volume_id       bigint NOT NULL,
    lost_node_id    integer NOT NULL,
    -- When the node was declared dead (nodes.dead_at at the time).
    node_lost_at    timestamptz NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    target_node_id  integer,
    -- The install instruction that put the copy on the target.
    instruction_id  bigint,
    finished_at     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    UNIQUE (volume_id, lost_node_id)
);
CREATE INDEX rereplications_unfinished ON rereplications (lost_node_id) WHERE finished_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON rereplications TO vigil_store;
GRANT USAGE, SELECT ON SEQUENCE rereplications_id_seq TO vigil_store;
GRANT SELECT ON rereplications TO vigil_verifier;
