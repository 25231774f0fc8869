-- How many offline messages each user has stored, kept beside offline_messages so that the
-- per-user cap costs an index lookup per message instead of counting the user's rows (which made
-- queueing n messages cost O(n^2)). Rows already stored are counted once here.

CREATE TABLE offline_counts (
    host text NOT NULL,
    username text NOT NULL,
    stored bigint NOT NULL,
    PRIMARY KEY (host, username),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);

INSERT INTO offline_counts (host, username, stored)
    SELECT host, username, count(*) FROM offline_messages GROUP BY host, username;
