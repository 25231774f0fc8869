-- Message archive (XEP-0313): per (host, user), every archived 1:1 message as the XML text the
-- server routed, in arrival order by id (never reused, so it orders the archive), under an
-- opaque archive id that clients see (the XEP-0359 stanza-id), with the peer's bare JID and
-- resource for 'with' queries and the arrival time in microseconds since the epoch.

CREATE TABLE archive_messages (
    id integer PRIMARY KEY AUTOINCREMENT,
    host text NOT NULL,
    username text NOT NULL,
    archive_id text NOT NULL,
    with_bare text NOT NULL,
    with_resource text NOT NULL,
    stanza text NOT NULL,
    stored_at bigint NOT NULL,
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

CREATE UNIQUE INDEX archive_messages_archive_id ON archive_messages (host, username, archive_id);
CREATE INDEX archive_messages_user ON archive_messages (host, username, id);
CREATE INDEX archive_messages_with ON archive_messages (host, username, with_bare, id);
CREATE INDEX archive_messages_stored_at ON archive_messages (host, stored_at);

-- Archiving preferences (XEP-0441): the default ('always', 'never' or 'roster') and the JIDs
-- always or never archived. A user without a row has the module's configured default.
CREATE TABLE archive_prefs (
    host text NOT NULL,
    username text NOT NULL,
    default_mode text NOT NULL,
    PRIMARY KEY (host, username),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

CREATE TABLE archive_pref_jids (
    host text NOT NULL,
    username text NOT NULL,
    jid text NOT NULL,
    list text NOT NULL,
    PRIMARY KEY (host, username, jid),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
