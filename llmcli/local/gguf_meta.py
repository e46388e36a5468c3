"""Read a GGUF file's key/value header, fast, without touching its tensors.

The `gguf` package parses the whole file and takes 8-20 s on the default model (it walks the
262,144 token strings one numpy call at a time); the tokenizer needs only the header, which
this reader gets in a fraction of a second with `struct` over a memory map.
Layout (GGUF v2/v3): magic 'GGUF', uint32 version, uint64 tensor count, uint64 key/value count,
then for each key/value: string key, uint32 type, value. Strings are uint64 length + UTF-8.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

import numpy as np

from llmcli.core.errors import LocalModelError

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}  # fmt: skip
_NUMPY = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1",
          10: "<u8", 11: "<i8", 12: "<f8"}  # fmt: skip
STRING, ARRAY = 8, 9


def read_metadata(path: Path | str) -> dict[str, Any]:
    """All key/values of a GGUF file: strings as str, numeric arrays as numpy arrays."""
    path = Path(path)
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(buf)
    except FileNotFoundError:
        raise LocalModelError(f"model file not found: {path}", hint="check the path") from None
    except (OSError, ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
        raise LocalModelError(
            f"{path} is not a readable GGUF file ({exc})",
            hint="the file is corrupt or truncated; download or assemble it again",
        ) from None


def _parse(buf: Any) -> dict[str, Any]:
    if buf[:4] != b"GGUF":
        raise ValueError("no GGUF magic number")
    version, _n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
    if version < 2:
        raise ValueError(f"GGUF version {version} is too old")
    pos = 24
    out: dict[str, Any] = {}
    for _ in range(n_kv):
        key, pos = _string(buf, pos)
        (kind,) = struct.unpack_from("<I", buf, pos)
        out[key], pos = _value(buf, pos + 4, kind)
    return out


def _string(buf: Any, pos: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("<Q", buf, pos)
    end = pos + 8 + n
    if end > len(buf):
        raise ValueError("string runs past the end of the file")
    return buf[pos + 8 : end].decode("utf-8", "surrogateescape"), end


def _value(buf: Any, pos: int, kind: int) -> tuple[Any, int]:
    if kind in _SCALARS:
        fmt = _SCALARS[kind]
        return struct.unpack_from(fmt, buf, pos)[0], pos + struct.calcsize(fmt)
    if kind == STRING:
        return _string(buf, pos)
    if kind != ARRAY:
        raise ValueError(f"unknown GGUF value type {kind}")
    item, count = struct.unpack_from("<IQ", buf, pos)
    pos += 12
    if item in _NUMPY:
        dtype = np.dtype(_NUMPY[item])
        array = np.frombuffer(buf, dtype, count, pos).copy()
        return (array.astype(bool) if item == 7 else array), pos + dtype.itemsize * count
    if item == STRING:
        strings = []
        unpack = struct.Struct("<Q").unpack_from
        for _ in range(count):
            (n,) = unpack(buf, pos)
            strings.append(buf[pos + 8 : pos + 8 + n].decode("utf-8", "surrogateescape"))
            pos += 8 + n
        return strings, pos
    values = []
    for _ in range(count):
        value, pos = _value(buf, pos, item)
        values.append(value)
    return values, pos
