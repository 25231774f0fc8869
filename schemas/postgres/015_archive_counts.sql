-- How many messages each user's archive holds, kept beside archive_messages so that the per-user
-- quota (mod_mam's max_messages) costs an index lookup per user of an archived batch instead of a
-- count of the user's rows. The archive store keeps it in step in the same transactions that
-- append and expire rows; account removal takes it with the account. Rows archived before this
-- are counted once here.

CREATE TABLE archive_counts (
    host text NOT NULL,
    username text NOT NULL,
    stored bigint NOT NULL,
    PRIMARY KEY (host, username),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

INSERT INTO archive_counts (host, username, stored)
    SELECT host, username, count(*) FROM archive_messages GROUP BY host, username;
