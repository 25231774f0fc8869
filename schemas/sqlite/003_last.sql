-- Last activity (XEP-0012): when each user's last session ended, and its unavailable status.

CREATE TABLE last_activity (
    host text NOT NULL,
    username text NOT NULL,
    logout_at bigint NOT NULL,
    status text NOT NULL,
    PRIMARY KEY (host, username),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
