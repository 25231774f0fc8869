# src/storage
