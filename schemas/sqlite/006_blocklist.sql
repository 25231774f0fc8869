-- Simple communications blocking (XEP-0191): the JIDs each user blocks, as given (a full JID, a
-- bare JID, a domain/resource or a domain), in their normalised form.

CREATE TABLE blocklist (
    host text NOT NULL,
    username text NOT NULL,
    jid text NOT NULL,
    PRIMARY KEY (host, username, jid),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
