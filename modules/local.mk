# modules
