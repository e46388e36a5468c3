"""The indexes by name: naming rules, lookups whose errors say what exists, and removal.
Their records and every SQL statement live in llmcli.store.rag_index; building is index.py's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcli.core.errors import InvalidInput
from llmcli.store.rag_index import (  # re-exported: rag/ and its callers name them from here
    IndexInfo,
    documents,
    find_index,
    generation,
    iter_chunks,
    list_indexes,
)

if TYPE_CHECKING:
    from llmcli.store.db import Connection

__all__ = [
    "IndexInfo", "check_name", "documents", "find_index", "generation", "get_index",
    "iter_chunks", "list_indexes", "remove_index",
]


def get_index(conn: Connection, name: str) -> IndexInfo:
    """The index called `name`; an unknown name says which exist."""
    info = find_index(conn, name)
    if info is None:
        import difflib

        from llmcli.store.rag_index import index_names

        names = index_names(conn)
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            hint = f"did you mean '{close[0]}'? 'llmcli rag list' shows them all"
        elif names:
            hint = f"indexes: {', '.join(names)}"
        else:
            hint = f"create one with: llmcli rag index {name} PATH"
        raise InvalidInput(f"no index named '{name}'", hint=hint)
    return info


def remove_index(conn: Connection, name: str) -> IndexInfo:
    from llmcli.store import rag_index

    info = get_index(conn, name)
    rag_index.remove_index(conn, info)
    return info


def check_name(name: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise InvalidInput(f"'{name}' is not a valid index name",
                           hint="use letters, digits, '-', '_' and '.' (e.g. receitas)")
    return name
