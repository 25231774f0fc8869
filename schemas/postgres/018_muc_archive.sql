-- Chat rooms' archives (XEP-0313 on a room's JID, for rooms with logging enabled): the same shape
-- as archive_messages, with host = the chat service's domain and username = the room. Rows are
-- numbered from the same sequence as users' archives (storage/archive_ids.hpp), so an archive id
-- names one message of one archive. Destroying a room deletes its rows.

CREATE TABLE muc_archive_messages (
    id bigint PRIMARY KEY,
    host text NOT NULL,
    username text NOT NULL,
    archive_id text NOT NULL,
    with_bare text NOT NULL,
    with_resource text NOT NULL,
    stanza text NOT NULL,
    stored_at bigint NOT NULL
);

CREATE INDEX muc_archive_messages_room ON muc_archive_messages (host, username, id);
CREATE INDEX muc_archive_messages_with ON muc_archive_messages (host, username, with_bare, id);
CREATE INDEX muc_archive_messages_stored_at ON muc_archive_messages (host, stored_at);

CREATE TABLE muc_archive_counts (
    host text NOT NULL,
    username text NOT NULL,
    stored bigint NOT NULL,
    PRIMARY KEY (host, username)
);
