-- Explicit PEP subscriptions (XEP-0060 §6.1 on a XEP-0163 node): who asked to hear of a node's
-- changes besides the resources whose entity capabilities ask for <node>+notify. `jid` is the
-- subscribed JID as the subscriber gave it (bare or full); `subscriber` is its bare JID, which
-- the per-subscriber limit counts. A subscription goes with its node (and so with the owner's
-- account); one made by an account of this server also goes with that account, through
-- (subscriber_host, subscriber_user), which are NULL for a subscriber from elsewhere.

CREATE TABLE pep_subscriptions (
    host text NOT NULL,
    username text NOT NULL,
    node text NOT NULL,
    jid text NOT NULL,
    subscriber text NOT NULL,
    subscriber_host text,
    subscriber_user text,
    created_at bigint NOT NULL,
    PRIMARY KEY (host, username, node, jid),
    FOREIGN KEY (host, username, node) REFERENCES pep_nodes (host, username, node)
        ON DELETE CASCADE,
    FOREIGN KEY (subscriber_host, subscriber_user) REFERENCES accounts (host, username)
        ON DELETE CASCADE
);

CREATE INDEX pep_subscriptions_by_subscriber ON pep_subscriptions (subscriber);
CREATE INDEX pep_subscriptions_by_subscriber_account
    ON pep_subscriptions (subscriber_host, subscriber_user);
