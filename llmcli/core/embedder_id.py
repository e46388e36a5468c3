"""Which embedder made a vector: 'provider:model', plus the adapter's embedding revision when
it has one ('local:gemma-3-270m#mid-v2').

The identity locks an index (its vectors and a query's must come from the same computation)
and keys the embedding cache. An adapter that changes how it computes vectors for the same
model bumps its `embed_revision`, so old vectors are never mixed with new ones: old indexes are
refused with a message to re-index, and old cache rows are simply never found.
"""

from __future__ import annotations

import re

_REVISION = re.compile(r"#([a-z0-9][a-z0-9.-]*)$")


def embedder_key(provider: str, model: str, revision: str = "") -> str:
    """'provider:model' or 'provider:model#revision'."""
    base = f"{provider}:{model}"
    return f"{base}#{revision}" if revision else base


def split_key(key: str) -> tuple[str, str]:
    """('provider:model', revision or '') of an identity; the first part is what -m takes."""
    found = _REVISION.search(key)
    if found is None:
        return key, ""
    return key[: found.start()], found.group(1)
