-- Offline messages from senders outside the recipient's roster ("strangers") get their own, smaller
-- share of the per-user queue, so that a flood from strangers drops the strangers' oldest
-- messages and never a contact's. A sender is a contact when the recipient's roster lists it or
-- has a subscription with it in either direction (a subscription request alone does not count);
-- the user's own account and its server are contacts too. The store decides this in the same
-- transaction as the insert, from roster_items.
--
-- Messages stored before this migration count as contacts' messages (stranger = 0): which
-- relationship their sender had when they arrived is not known, and the safe side is to keep them.

ALTER TABLE offline_messages ADD COLUMN stranger integer NOT NULL DEFAULT 0;
CREATE INDEX offline_messages_by_class ON offline_messages (host, username, stranger, id);

-- Of offline_counts.stored, how many are strangers' messages.
ALTER TABLE offline_counts ADD COLUMN strangers bigint NOT NULL DEFAULT 0;

-- Of offline_pruned.dropped, how many were strangers' messages, for the notice at the next login.
ALTER TABLE offline_pruned ADD COLUMN dropped_strangers bigint NOT NULL DEFAULT 0;
