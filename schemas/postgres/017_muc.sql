-- Multi-user chat (XEP-0045): the persistent rooms of each chat service and their affiliations.
-- A room's configuration is its muc#roomconfig form as submitted (XML text), so a field added to
-- the form later needs no migration. Temporary rooms are never written here.

CREATE TABLE muc_rooms (
    service text NOT NULL,
    room text NOT NULL,
    config text NOT NULL,
    subject text NOT NULL DEFAULT '',
    subject_by text NOT NULL DEFAULT '',
    PRIMARY KEY (service, room)
);

-- owner, admin, member or outcast, of a bare JID (or a domain); 'none' is never stored.
CREATE TABLE muc_affiliations (
    service text NOT NULL,
    room text NOT NULL,
    jid text NOT NULL,
    affiliation text NOT NULL,
    reason text NOT NULL DEFAULT '',
    PRIMARY KEY (service, room, jid),
    FOREIGN KEY (service, room) REFERENCES muc_rooms (service, room) ON DELETE CASCADE
);

-- A secret per service, made at its first start, from which each occupant's XEP-0421 occupant id
-- is derived: stable across restarts, and not guessable from the real JID.
CREATE TABLE muc_services (
    service text PRIMARY KEY,
    secret text NOT NULL
);
