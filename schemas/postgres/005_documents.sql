-- Per-account XML documents: the vCard (kind 'vcard', key '') and private XML storage (kind
-- 'private', key the namespace of the stored element), each kept as its serialized text.

CREATE TABLE xml_documents (
    host text NOT NULL,
    username text NOT NULL,
    kind text NOT NULL,
    doc_key text NOT NULL,
    xml text NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (host, username, kind, doc_key),
    FOREIGN KEY (host, username) REFERENCES accounts (host, username) ON DELETE CASCADE
);
