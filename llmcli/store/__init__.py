"""SQLite storage: the log of every exchange, conversations, and the schema's migrations."""
