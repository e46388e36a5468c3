"""Retrieval-augmented prompts: read a folder, chunk it, embed the chunks, search them, and
put the best ones in a prompt that cites its sources.

    readers.py   files -> Document (text, Markdown, CSV, JSON lines, PDF); skips with reasons
    chunking.py  Document -> Chunk list that respects headings and paragraphs
    catalog.py   the indexes stored in the logs database: info, list, find, remove
    index.py     build / refresh an index (only changed files re-embedded)
    search.py    exact cosine search over the stored matrix (+ BM25 fusion)
    rerank.py    the local model reorders the first hits by log P(question | passage)
    retrieve.py  an index with its model's embedder, ready to answer queries
    prompt.py    the `rag` template filled with the top chunks; citations and sources

Nothing here imports numpy, an SDK or pypdf at import time.
"""
