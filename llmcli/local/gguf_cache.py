"""Convert a GGUF file once into a memory-mappable float32 cache, and open that cache fast.

Why: the `gguf` package needs ~8-20 s to parse this file's header (it walks 262,144 tokenizer
strings one numpy call at a time) and a few more to dequantize Q4_K/Q5_0/Q6_K/Q8_0 blocks.
Doing that on every start would make the local model unusable from a shell, so the first start
writes everything the engine and the tokenizer need into a directory:

    <cache_dir>/weights/<key>/
        manifest.json     format version, source file (size, mtime, sha256), model config,
                          tensor offsets and shapes inside weights.bin
        weights.bin       every tensor dequantized to float32, 64-byte aligned, numpy order
        metadata.json     the GGUF key/values except the large tokenizer arrays
        tokens.json       tokenizer.ggml.tokens (list of str)
        <name>.npy        tokenizer.ggml.scores, tokenizer.ggml.token_type (and merges.json)

It is written into a temporary sibling directory and renamed into place, so a half-written
cache is never seen. Later starts map weights.bin (no copy) and read three small files.

The key is a hash of the file's size, first MiB and last MiB: cheap (a few ms) and it changes
whenever a different model is pointed at. If the file's size or mtime differ from the ones the
manifest recorded, the full sha256 is compared before the cache is trusted.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmcli.core.errors import LocalModelError
from llmcli.local.modelconfig import ModelConfig

FORMAT_VERSION = 1
ALIGN = 64
_ROWS_PER_BLOCK = 16384
Progress = Callable[[str, float], None]

# Tokenizer arrays are stored beside the manifest rather than inside metadata.json.
_ARRAY_KEYS = {"tokenizer.ggml.scores": np.float32, "tokenizer.ggml.token_type": np.int32}
_LIST_KEYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.merges")


@dataclass
class CachedModel:
    """An opened cache: config, GGUF metadata and float32 tensors mapped from disk."""

    directory: Path
    config: ModelConfig
    metadata: dict[str, Any]
    tensors: dict[str, np.ndarray]
    source: dict[str, Any]


def open_model_cache(
    gguf_path: Path, cache_dir: Path, progress: Progress | None = None
) -> CachedModel:
    """Open the cache for `gguf_path`, converting the file first if no valid cache exists."""
    gguf_path = Path(gguf_path)
    if not gguf_path.is_file():
        raise LocalModelError(
            f"model file not found: {gguf_path}",
            hint="check the path, or omit it to use the default local model",
        )
    key = quick_key(gguf_path)
    root = Path(cache_dir) / "weights"
    final = root / key
    if final.exists():
        try:
            cached = _load(final)
        except (OSError, ValueError, KeyError, TypeError):
            cached = None  # unreadable or incomplete leftovers: rebuild below
        if cached is not None and _matches_source(cached.source, gguf_path):
            return cached
        shutil.rmtree(final, ignore_errors=True)
    _build(gguf_path, root, key, progress)
    return _load(final)


def quick_key(path: Path) -> str:
    """Hash of format version, size, first and last MiB: distinguishes files in a few ms."""
    size = path.stat().st_size
    digest = hashlib.sha256(f"v{FORMAT_VERSION}:{size}:".encode())
    try:
        with path.open("rb") as fh:
            digest.update(fh.read(1 << 20))
            fh.seek(max(0, size - (1 << 20)))
            digest.update(fh.read(1 << 20))
    except OSError as exc:
        raise LocalModelError(f"cannot read model file {path}: {exc.strerror}") from None
    return digest.hexdigest()[:24]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _matches_source(source: dict[str, Any], path: Path) -> bool:
    st = path.stat()
    if source.get("size") != st.st_size:
        return False
    if source.get("mtime_ns") == st.st_mtime_ns:
        return True
    # Touched or copied: same content is still fine, but only the full hash can tell.
    return source.get("sha256") == file_sha256(path)


# ---------------------------------------------------------------------------------------------
# Conversion


def _read_gguf(path: Path) -> Any:
    try:
        from gguf import GGUFReader

        return GGUFReader(path)
    except Exception as exc:  # the reader raises ValueError, IndexError, struct errors...
        raise LocalModelError(
            f"{path} is not a readable GGUF file ({type(exc).__name__}: {exc})",
            hint="the file is corrupt or truncated; download or assemble it again",
        ) from None


def _field_value(field: Any) -> Any:
    """A GGUF key/value as plain Python (numeric arrays as numpy, strings losslessly)."""
    from gguf import GGUFValueType

    types = field.types
    if not types:
        return None
    if types[0] == GGUFValueType.ARRAY:
        if types[-1] == GGUFValueType.STRING:
            # surrogateescape keeps a token that is not valid UTF-8 round-trippable.
            return [bytes(field.parts[i]).decode("utf-8", "surrogateescape") for i in field.data]
        if not field.data:
            return []
        return np.concatenate([field.parts[i] for i in field.data])
    if types[0] == GGUFValueType.STRING:
        return bytes(field.parts[-1]).decode("utf-8", "surrogateescape")
    value = field.parts[-1].tolist()[0]
    return bool(value) if types[0] == GGUFValueType.BOOL else value


def _build(gguf_path: Path, root: Path, key: str, progress: Progress | None) -> None:
    report = progress or (lambda stage, fraction: None)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=root))
    except OSError as exc:
        raise LocalModelError(
            f"cannot write the model cache in {root}: {exc.strerror}",
            hint="make the llmcli cache dir writable or set LLMCLI_HOME to a writable folder",
        ) from None
    try:
        report("reading GGUF", 0.0)
        reader = _read_gguf(gguf_path)
        meta = {
            name: _field_value(f)
            for name, f in reader.fields.items()
            if not name.startswith("GGUF.")
        }
        shapes = {t.name: tuple(int(d) for d in reversed(t.shape.tolist())) for t in reader.tensors}
        config = ModelConfig.from_gguf(meta, shapes)  # raises for unsupported architectures
        report("reading GGUF", 1.0)
        tensors = _write_weights(reader, tmp / "weights.bin", report)
        _write_metadata(meta, tmp)
        st = gguf_path.stat()
        manifest = {
            "format_version": FORMAT_VERSION,
            "source": {
                "path": str(gguf_path.resolve()),
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "sha256": file_sha256(gguf_path),
            },
            "config": config.to_dict(),
            "tensors": tensors,
        }
        # The manifest is written last: a directory without one is never loaded.
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.rename(tmp, root / key)
        except OSError:
            if not (root / key / "manifest.json").is_file():
                raise
            # Another process finished the same conversion first: use theirs.
        report("done", 1.0)
    except OSError as exc:
        raise LocalModelError(
            f"cannot write the model cache in {root}: {exc.strerror or exc}",
            hint="check free disk space (about 1.1 GB) and that the cache dir is writable",
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_weights(reader: Any, path: Path, report: Progress) -> dict[str, dict[str, Any]]:
    from gguf.quants import dequantize

    total = sum(int(t.n_elements) for t in reader.tensors) or 1
    done = 0
    layout: dict[str, dict[str, Any]] = {}
    with path.open("wb") as fh:
        for t in reader.tensors:
            shape = tuple(int(d) for d in reversed(t.shape.tolist()))
            pad = (-fh.tell()) % ALIGN
            fh.write(b"\0" * pad)
            layout[t.name] = {"offset": fh.tell(), "shape": list(shape), "dtype": "float32"}
            # Row blocks: the 262,144-row embedding dequantized at once would need ~2 GB of
            # temporaries; quantization blocks never span rows, so slicing rows is exact.
            rows = t.data if t.data.ndim > 1 else t.data.reshape(1, -1)
            for lo in range(0, rows.shape[0], _ROWS_PER_BLOCK):
                try:
                    block = dequantize(rows[lo : lo + _ROWS_PER_BLOCK], t.tensor_type)
                except (NotImplementedError, ValueError) as exc:
                    raise LocalModelError(
                        f"tensor {t.name} uses an unsupported type {t.tensor_type.name}: {exc}",
                        hint="use a GGUF quantized as F32/F16/BF16/Q8_0/Q5_0/Q4_K/Q6_K or similar",
                    ) from None
                np.ascontiguousarray(block, dtype=np.float32).tofile(fh)
                done += block.size
                report("converting weights", done / total)
            if fh.tell() - layout[t.name]["offset"] != 4 * int(t.n_elements):
                raise LocalModelError(
                    f"tensor {t.name} has an inconsistent size", hint="the file is damaged"
                )
    return layout


def _write_metadata(meta: dict[str, Any], directory: Path) -> None:
    small: dict[str, Any] = {}
    for name, value in meta.items():
        if name in _ARRAY_KEYS:
            np.save(directory / f"{name}.npy", np.asarray(value, dtype=_ARRAY_KEYS[name]))
        elif name in _LIST_KEYS:
            path = directory / ("tokens.json" if name.endswith("tokens") else "merges.json")
            path.write_text(json.dumps(value), encoding="utf-8")
        elif isinstance(value, np.ndarray):
            small[name] = value.tolist()
        else:
            small[name] = value
    (directory / "metadata.json").write_text(json.dumps(small, indent=1), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Loading


def _load(directory: Path) -> CachedModel:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError("old cache format")
    metadata = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
    metadata["tokenizer.ggml.tokens"] = json.loads(
        (directory / "tokens.json").read_text(encoding="utf-8")
    )
    if (directory / "merges.json").is_file():
        metadata["tokenizer.ggml.merges"] = json.loads(
            (directory / "merges.json").read_text(encoding="utf-8")
        )
    for name in _ARRAY_KEYS:
        if (directory / f"{name}.npy").is_file():
            metadata[name] = np.load(directory / f"{name}.npy")
    return CachedModel(
        directory=directory,
        config=ModelConfig.from_dict(manifest["config"]),
        metadata=metadata,
        tensors=_map_tensors(directory / "weights.bin", manifest["tensors"]),
        source=manifest["source"],
    )


def _map_tensors(path: Path, layout: dict[str, dict[str, Any]]) -> dict[str, np.ndarray]:
    """Map weights.bin read-only and cut it into plain ndarray views (no copy, no np.memmap:
    memmap subclasses add Python overhead to every operation on the hot path)."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # map all pages up front
        buffer = mmap.mmap(fh.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
    tensors = {}
    for name, entry in layout.items():
        shape = tuple(entry["shape"])
        count = int(np.prod(shape))
        if entry["offset"] + 4 * count > size:
            raise ValueError(f"weights.bin is truncated at {name}")
        tensors[name] = np.frombuffer(buffer, np.float32, count, entry["offset"]).reshape(shape)
    return tensors
