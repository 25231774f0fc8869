-- Push notifications (XEP-0357): the app servers each user enabled, one row per (service JID,
-- node). `options` is the publish-options data form the client gave with <enable/>, as XML text,
-- or '' when it gave none; it is sent back with every publish to that node.

CREATE TABLE push_registrations (
    host text NOT NULL,
    username text NOT NULL,
    service text NOT NULL,
    node text NOT NULL,
    options text NOT NULL DEFAULT '',
    enabled_at bigint NOT NULL,
    PRIMARY KEY (host, username, service, node),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
