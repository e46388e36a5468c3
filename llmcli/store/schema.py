"""Schema migrations, applied in order; `PRAGMA user_version` records how far a file has come.

Two files, two lists: MIGRATIONS for the logs database, EMBEDDING_CACHE_MIGRATIONS for the
embedding cache. Append new migrations at the end; never edit one that has shipped.
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
    # 3: retrieval indexes from `llmcli rag index`: documents, chunks with float32 vectors,
    # and full-text search over the chunks for hybrid (BM25 + vector) retrieval.
    # A document is 'pending' while a re-index writes its new chunks, 'ready' once they replace
    # the old ones, so an interrupted run never leaves an index half-updated.
    """
    CREATE TABLE rag_indexes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        embed_model TEXT NOT NULL,
        dimension INTEGER,
        chunk_size INTEGER NOT NULL,
        overlap INTEGER NOT NULL,
        roots TEXT NOT NULL DEFAULT '[]',
        globs TEXT NOT NULL DEFAULT '[]',
        generation INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE rag_documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        index_id INTEGER NOT NULL REFERENCES rag_indexes(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        unit TEXT NOT NULL,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        indexed TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'pending'))
    );
    CREATE UNIQUE INDEX rag_documents_path ON rag_documents(index_id, path)
        WHERE state = 'ready';
    CREATE TABLE rag_chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        index_id INTEGER NOT NULL REFERENCES rag_indexes(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES rag_documents(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        start_at INTEGER NOT NULL,
        end_at INTEGER NOT NULL,
        heading TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        hash TEXT NOT NULL,
        vector BLOB NOT NULL
    );
    CREATE INDEX rag_chunks_hash ON rag_chunks(index_id, hash);
    CREATE INDEX rag_chunks_document ON rag_chunks(document_id);
    CREATE VIRTUAL TABLE rag_chunks_fts USING fts5(
        text, content='rag_chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER rag_chunks_ai AFTER INSERT ON rag_chunks BEGIN
        INSERT INTO rag_chunks_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER rag_chunks_ad AFTER DELETE ON rag_chunks BEGIN
        INSERT INTO rag_chunks_fts(rag_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER rag_chunks_au AFTER UPDATE OF text ON rag_chunks BEGIN
        INSERT INTO rag_chunks_fts(rag_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO rag_chunks_fts(rowid, text) VALUES (new.id, new.text);
    END;
    """,
    # 4: provider batch jobs from `llmcli batch --provider-batch`: one local job, tracked as one,
    # made of one or more provider jobs (parts: an input over a provider's limits is split).
    """
    CREATE TABLE batch_jobs (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        source TEXT NOT NULL,
        template TEXT,
        extracts INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL,
        status TEXT NOT NULL,
        cost REAL,
        cost_known INTEGER NOT NULL DEFAULT 0  -- 0: input-only estimate; 1: from the results
    );
    CREATE TABLE batch_job_parts (
        job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        part INTEGER NOT NULL,
        remote_id TEXT NOT NULL,
        input_file_id TEXT NOT NULL,
        requests INTEGER NOT NULL,
        status TEXT NOT NULL,
        completed INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER,
        expires_at INTEGER,
        output_file_id TEXT,
        error_file_id TEXT,
        retry INTEGER NOT NULL DEFAULT 0,  -- 1: failed requests of earlier parts, sent again
        PRIMARY KEY (job_id, part)
    );
    CREATE UNIQUE INDEX batch_job_parts_remote ON batch_job_parts(remote_id);
    """,
    # 5: structured output (#17): the JSON Schema a reply was asked to follow, as JSON text;
    # schemas saved by name (`llmcli schemas save`).
    """
    ALTER TABLE exchanges ADD COLUMN schema TEXT;
    CREATE TABLE schemas (
        name TEXT PRIMARY KEY,
        schema TEXT NOT NULL,
        created TEXT NOT NULL
    );
    """,
    # 6: `llmcli eval` (#19): runs, one row per graded cell (prompt x model x case x repeat),
    # and the reply cache keyed by a hash of provider, model, messages, options and repeat.
    """
    CREATE TABLE eval_runs (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        suite TEXT NOT NULL,
        digest TEXT NOT NULL,
        description TEXT,
        prompts TEXT NOT NULL,
        models TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        cells INTEGER NOT NULL,
        status TEXT NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}',
        finished TEXT
    );
    CREATE TABLE eval_results (
        run_id TEXT NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
        prompt TEXT NOT NULL,
        model TEXT NOT NULL,
        case_key TEXT NOT NULL,
        repeat INTEGER NOT NULL,
        case_index INTEGER NOT NULL,
        case_title TEXT,
        vars TEXT,
        passed INTEGER NOT NULL,
        score REAL,
        reply TEXT,
        answer TEXT,
        assertions TEXT,
        error TEXT,
        error_code INTEGER,
        error_kind TEXT,
        latency REAL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cost REAL,
        cached INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        PRIMARY KEY (run_id, prompt, model, case_key, repeat)
    );
    CREATE TABLE eval_cache (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        reply TEXT NOT NULL,
        created TEXT NOT NULL
    );
    """,
    # 7 (#21): fragments (-f, --sf) kept once by the sha256 of their text, and attachments (-a)
    # once by the sha256 of their bytes; each exchange names the ones it sent, in order. The
    # exchange's messages hold a reference in place of each fragment's block and attachments
    # without their bytes (store/inputs.py).
    """
    CREATE TABLE fragments (
        hash TEXT PRIMARY KEY,
        content TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE exchange_fragments (
        exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        hash TEXT NOT NULL REFERENCES fragments(hash),
        source TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (exchange_id, position)
    );
    CREATE INDEX exchange_fragments_hash ON exchange_fragments(hash);
    CREATE TABLE attachments (
        hash TEXT PRIMARY KEY,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE exchange_attachments (
        exchange_id INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        hash TEXT NOT NULL REFERENCES attachments(hash),
        source TEXT NOT NULL,
        PRIMARY KEY (exchange_id, position)
    );
    CREATE INDEX exchange_attachments_hash ON exchange_attachments(hash);
    """,
    # 8: reasoning (#21): the model's reasoning or thought summary and its token count; the
    # response cache: each row's request key (sha256 of the canonical request + provider) and
    # whether the row was answered from the log (`--cache`) instead of the provider.
    """
    ALTER TABLE exchanges ADD COLUMN reasoning TEXT;
    ALTER TABLE exchanges ADD COLUMN reasoning_tokens INTEGER;
    ALTER TABLE exchanges ADD COLUMN cache_key TEXT;
    ALTER TABLE exchanges ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX exchanges_cache_key ON exchanges(cache_key, id);
    """,
    # 9: tools (#18): every tool call of the exchange with its result, as JSON text (a list of
    # core.tools.ToolRun), and how many requests the tool loop sent.
    """
    ALTER TABLE exchanges ADD COLUMN tool_calls TEXT;
    ALTER TABLE exchanges ADD COLUMN round_trips INTEGER;
    """,
    # 10: provider batch jobs with --schema (#17/#22): the schema and options every request was
    # sent with, and which provider results were written to the log (fetching twice, once).
    """
    ALTER TABLE batch_jobs ADD COLUMN schema TEXT;
    ALTER TABLE batch_jobs ADD COLUMN options TEXT;
    CREATE TABLE batch_job_logged (
        job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        custom_id TEXT NOT NULL,
        part INTEGER NOT NULL,
        log_id INTEGER NOT NULL,
        PRIMARY KEY (job_id, custom_id, part)
    );
    """,
]

EMBEDDING_CACHE_MIGRATIONS: list[str] = [
    # 1: vectors keyed by (model, sha256 of the text), float32 blobs. IF NOT EXISTS adopts the
    # embeddings.db of earlier versions, which made this very table itself at user_version 0:
    # its vectors are kept, nothing is embedded again.
    """
    CREATE TABLE IF NOT EXISTS embeddings (
        model TEXT NOT NULL,
        hash TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, hash)
    );
    """,
]
