-- PEP (XEP-0163) nodes and items, per account. A node's configuration is kept as the module's own
-- text (pubsub#access_model, pubsub#max_items, ...); each item is its payload as serialized XML,
-- exactly as published. Items are ordered by id: a republished item id gets a new, newer row.

CREATE TABLE pep_nodes (
    host text NOT NULL,
    username text NOT NULL,
    node text NOT NULL,
    config text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (host, username, node),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

CREATE TABLE pep_items (
    id bigserial PRIMARY KEY,
    host text NOT NULL,
    username text NOT NULL,
    node text NOT NULL,
    item_id text NOT NULL,
    payload text NOT NULL,
    publisher text NOT NULL,
    published_at bigint NOT NULL,
    UNIQUE (host, username, node, item_id),
    FOREIGN KEY (host, username, node) REFERENCES pep_nodes (host, username, node)
        ON DELETE CASCADE
);

CREATE INDEX pep_items_by_node ON pep_items (host, username, node, id);

-- The whitelist of a node with pubsub#access_model whitelist: the bare JIDs the owner gave the
-- affiliation 'member' (XEP-0060 §8.9).
CREATE TABLE pep_whitelist (
    host text NOT NULL,
    username text NOT NULL,
    node text NOT NULL,
    jid text NOT NULL,
    PRIMARY KEY (host, username, node, jid),
    FOREIGN KEY (host, username, node) REFERENCES pep_nodes (host, username, node)
        ON DELETE CASCADE
);
