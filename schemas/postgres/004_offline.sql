-- Offline messages (XEP-0160): stanzas kept for an account with no available resource, oldest
-- first by id, and how many were dropped past the per-user cap since the user last logged in.

CREATE TABLE offline_messages (
    id bigserial PRIMARY KEY,
    host text NOT NULL,
    username text NOT NULL,
    sender text NOT NULL,
    stanza text NOT NULL,
    stored_at bigint NOT NULL,
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

CREATE INDEX offline_messages_user ON offline_messages (host, username, id);
CREATE INDEX offline_messages_stored_at ON offline_messages (stored_at);

CREATE TABLE offline_pruned (
    host text NOT NULL,
    username text NOT NULL,
    dropped bigint NOT NULL,
    PRIMARY KEY (host, username),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
