-- Archive ids are the archive row, encrypted under a key of this server (see
-- src/storage/archive_ids.hpp), so new rows need no id index: their archive_id stays empty.
-- Rows archived before this keep the random id they were given, still unique per user.

DROP INDEX archive_messages_archive_id;
CREATE UNIQUE INDEX archive_messages_legacy_id ON archive_messages (host, username, archive_id)
    WHERE archive_id <> '';

-- Keys the server made for itself, by name: 'archive_id', 16 bytes of AES-128.
CREATE TABLE server_keys (
    name text PRIMARY KEY,
    key bytea NOT NULL
);
