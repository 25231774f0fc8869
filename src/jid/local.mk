# src/jid
