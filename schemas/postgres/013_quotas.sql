-- Quotas enforced inside the write's own transaction (src/storage/quota_guard.hpp): a guard
-- statement inserts a second row with this table's one key when a limit would be passed, and
-- the unique violation rolls the whole write back.
CREATE TABLE quota_guard (
    id integer PRIMARY KEY
);
INSERT INTO quota_guard (id) VALUES (0);

-- What each PEP item costs its owner's storage quota (mod_pep's max_bytes_per_user): its payload
-- as published, one-time prekeys included, in bytes. Items stored before this migration count
-- their stored payload.
ALTER TABLE pep_items ADD COLUMN bytes bigint NOT NULL DEFAULT 0;
UPDATE pep_items SET bytes = octet_length(payload);
