-- Rosters (RFC 6121 §2): one row per contact a user has a subscription state with. A contact that
-- only asked to subscribe (pending-in) is kept unlisted until the user acts, so the request
-- survives restarts without showing up in the roster.

CREATE TABLE roster_items (
    host text NOT NULL,
    username text NOT NULL,
    contact text NOT NULL,
    name text NOT NULL,
    subscription text NOT NULL,
    ask integer NOT NULL,
    approved integer NOT NULL,
    pending_in integer NOT NULL,
    pending_status text NOT NULL,
    listed integer NOT NULL,
    PRIMARY KEY (host, username, contact),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

CREATE TABLE roster_groups (
    host text NOT NULL,
    username text NOT NULL,
    contact text NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (host, username, contact, name),
    FOREIGN KEY (host, username, contact) REFERENCES roster_items (host, username, contact)
        ON DELETE CASCADE
);

-- The roster version (RFC 6121 §2.6): bumped on every change, never reused.
CREATE TABLE roster_versions (
    host text NOT NULL,
    username text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (host, username),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
