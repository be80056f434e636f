-- Vigil File Journal, version 1: the client side's record of users' files.
-- Its own database, separate from every zone's block index.

CREATE TABLE users (
    id          bigint PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    -- The zones every block of this user's files must be live in.
    zones       text[] NOT NULL CHECK (cardinality(zones) > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE files (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    path        text NOT NULL,
    size_bytes  bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, path)
);

-- A file's blocks, in order.
CREATE TABLE file_blocks (
    file_id     bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    key         bytea NOT NULL CHECK (length(key) = 32),
    PRIMARY KEY (file_id, position)
);
-- The cross-zone verifier walks the journal's keys in order.
CREATE INDEX file_blocks_by_key ON file_blocks (key) INCLUDE (file_id);
