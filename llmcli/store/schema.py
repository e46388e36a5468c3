"""Schema migrations, applied in order; `PRAGMA user_version` records how far a file has come.

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: exchanges, conversations, full-text search over prompts and replies
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        title TEXT,
        model TEXT
    );
    CREATE TABLE exchanges (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created TEXT NOT NULL,
        conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
        batch_id TEXT,
        comparison_id TEXT,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        system TEXT,
        prompt TEXT NOT NULL,
        messages TEXT,
        options TEXT,
        template TEXT,
        reply TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER,
        output_tokens INTEGER,
        ttft REAL,
        duration REAL,
        finish_reason TEXT,
        status TEXT NOT NULL,
        error TEXT,
        cost REAL,
        attempts INTEGER
    );
    CREATE INDEX exchanges_conversation ON exchanges(conversation_id);
    CREATE INDEX exchanges_batch ON exchanges(batch_id);
    CREATE INDEX exchanges_comparison ON exchanges(comparison_id);
    CREATE VIRTUAL TABLE exchanges_fts USING fts5(
        prompt, reply, system, content='exchanges', content_rowid='id'
    );
    CREATE TRIGGER exchanges_ai AFTER INSERT ON exchanges BEGIN
        INSERT INTO exchanges_fts(rowid, prompt, reply, system)
        VALUES (new.id, new.prompt, new.reply, new.system);
    END;
    CREATE TRIGGER exchanges_ad AFTER DELETE ON exchanges BEGIN
        INSERT INTO exchanges_fts(exchanges_fts, rowid, prompt, reply, system)
        VALUES ('delete', old.id, old.prompt, old.reply, old.system);
    END;
    CREATE TRIGGER exchanges_au AFTER UPDATE ON exchanges BEGIN
        INSERT INTO exchanges_fts(exchanges_fts, rowid, prompt, reply, system)
        VALUES ('delete', old.id, old.prompt, old.reply, old.system);
        INSERT INTO exchanges_fts(rowid, prompt, reply, system)
        VALUES (new.id, new.prompt, new.reply, new.system);
    END;
    """,
    # 2: blind votes from `llmcli compare --blind`, read by `llmcli leaderboard`
    """
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created TEXT NOT NULL,
        comparison_id TEXT,
        prompt TEXT,
        models TEXT NOT NULL,
        labels TEXT NOT NULL,
        winner TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('win', 'tie'))
    );
    CREATE INDEX votes_comparison ON votes(comparison_id);
    """,
]
