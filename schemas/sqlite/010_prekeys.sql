-- The one-time prekeys of OMEMO bundles, taken out of the published bundle item so that each can
-- be claimed exactly once (urn:xmpp:starling:prekeys:0, docs/prekeys.md). A claimed key keeps its
-- row with claimed = 1, so that a republished bundle that still lists it cannot hand it out again.
-- Rows are tied to the account, not to the item: republishing replaces the item row.

CREATE TABLE omemo_prekeys (
    host text NOT NULL,
    username text NOT NULL,
    node text NOT NULL,
    item_id text NOT NULL,
    key_id text NOT NULL,
    key_data text NOT NULL,
    claimed integer NOT NULL,
    PRIMARY KEY (host, username, node, item_id, key_id),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

CREATE INDEX omemo_prekeys_unclaimed ON omemo_prekeys (host, username, node, item_id, claimed);

-- A bundle whose owner was told that it runs low on prekeys; deleted when the owner publishes
-- the bundle again, so the owner is told once per publication.
CREATE TABLE omemo_prekeys_low (
    host text NOT NULL,
    username text NOT NULL,
    node text NOT NULL,
    item_id text NOT NULL,
    PRIMARY KEY (host, username, node, item_id),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
