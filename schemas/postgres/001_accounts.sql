-- Accounts and their SCRAM secrets (RFC 5802): salted keys, one set per hash, never a password.
-- Every key starts with the host, the virtual domain the account belongs to.

CREATE TABLE schema_version (
    version integer NOT NULL
);

CREATE TABLE accounts (
    host text NOT NULL,
    username text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (host, username)
);

CREATE TABLE scram_secrets (
    host text NOT NULL,
    username text NOT NULL,
    hash text NOT NULL,
    salt bytea NOT NULL,
    iterations integer NOT NULL,
    stored_key bytea NOT NULL,
    server_key bytea NOT NULL,
    PRIMARY KEY (host, username, hash),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
