-- HTTP File Upload (XEP-0363, modules/http_upload): one row per slot a user was given. The
-- bytes live in the blob store under the slot's name; the row says whose they are, what they
-- must be (size, content type) and until when the PUT may come. stored_at is set once the
-- whole file is in the blob store; a file is served only then. Rows (and their blobs) go when
-- the retention has passed, when the slot was never used, or when the account is deleted: the
-- module's sweeper deletes the blob first, then the row, so no blob is left without one.

CREATE TABLE upload_files (
    slot text PRIMARY KEY,
    service text NOT NULL,
    host text NOT NULL,
    username text NOT NULL,
    filename text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    token_hash text NOT NULL,
    created_at bigint NOT NULL,
    put_before bigint NOT NULL,
    stored_at bigint
);

CREATE INDEX upload_files_owner ON upload_files (host, username);
CREATE INDEX upload_files_created ON upload_files (service, created_at);
