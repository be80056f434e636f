-- What this zone must be verified by: the sign-off gate expects a complete pass
-- of every verifier scope this row and the live nodes imply, whatever the gate's
-- command line says (a gate that only knew what it was told would sign off on a
-- verifier nobody started). Written by `vigil zone configure` (and `vigil dev up`).
CREATE TABLE zone_topology (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    zone            text NOT NULL CHECK (zone <> ''),
    -- The verifiers' cadence profile: the gate refuses a window shorter than it needs.
    profile         text NOT NULL CHECK (profile IN ('production', 'dev')),
    -- The storage watcher's stages, e.g. {1m,1h,1d,7d,30d}: one expected scope each.
    watcher_stages  text[] NOT NULL CHECK (cardinality(watcher_stages) > 0),
    -- The metadata scanner's shard count: 1 = scope `<zone>`, N = `<zone>/shard-I-of-N`.
    scanner_shards  integer NOT NULL DEFAULT 1 CHECK (scanner_shards > 0),
    -- True when the zone's blocks belong to File Journal files the cross-zone verifier checks.
    cross_zone      boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON zone_topology TO vigil_verifier, vigil_store;
