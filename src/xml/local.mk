# src/xml
