"""How many threads numpy's BLAS uses, switched per phase of generation.

Why: decoding multiplies small matrices by one vector (a [1024, 640] projection takes ~20 us).
OpenBLAS splits such a product across its threads, and when the other core is busy (2 cores,
shared machine) every split waits for a scheduler tick: the same product then takes 4-8 ms and
a token 70-150 ms instead of 40. So one decode step runs BLAS single-threaded and splits only
the one large product (the 262,144-row output projection) itself; prompt processing
(matrix-matrix products, enough work per call to amortise the hand-off) keeps every thread.

numpy's wheels bundle OpenBLAS under prefixed names (`scipy_openblas_set_num_threads64_`);
we find the loaded library in /proc/self/maps and call it through ctypes. Where it cannot be
found (another BLAS, another OS) the calls do nothing and numpy's defaults apply.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

_PREFIXES = ("scipy_openblas", "openblas")
_SUFFIXES = ("64_", "")


@lru_cache(maxsize=1)
def _functions() -> tuple[Callable[[int], None], Callable[[], int]] | None:
    import numpy  # noqa: F401  - make sure numpy's BLAS is loaded before we look for it

    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return setter, getter
    return None


def get_threads() -> int | None:
    """Current BLAS thread count, or None when the BLAS library is not reachable."""
    funcs = _functions()
    return funcs[1]() if funcs else None


_lock = threading.Lock()
_depth = 0
_saved: int | None = None


@contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Run the block with BLAS limited to `n` threads, restoring the previous count.

    Nested and concurrent uses (several sessions on threads) share one setting: the first
    to enter saves the count, the last to leave restores it.
    """
    global _depth, _saved
    funcs = _functions()
    if funcs is None:
        yield
        return
    setter, getter = funcs
    with _lock:
        if _depth == 0:
            _saved = getter()
        _depth += 1
        setter(n)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                setter(_saved)


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_pool = None


def _executor():  # created on first use: most commands never decode
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=max(1, cpu_count() - 1), thread_name_prefix="matvec")
    return _pool


def split_matvec(w, x):  # type: ignore[no-untyped-def]
    """w @ x for a tall w [rows, d], the rows split across the cores.

    numpy releases the GIL inside BLAS, so Python threads run the parts in parallel; the
    calling thread does the first part itself, so one hand-off per worker is all it costs.
    """
    import numpy as np

    parts = cpu_count()
    out = np.empty(w.shape[0], dtype=np.result_type(w, x))
    if parts < 2:
        np.matmul(w, x, out=out)
        return out
    bounds = np.linspace(0, w.shape[0], parts + 1).astype(int)

    def run(i: int) -> None:
        lo, hi = bounds[i], bounds[i + 1]
        np.matmul(w[lo:hi], x, out=out[lo:hi])

    futures = [_executor().submit(run, i) for i in range(1, parts)]
    run(0)
    for future in futures:
        future.result()
    return out


def split_matmul(x, w):  # type: ignore[no-untyped-def]
    """x @ w.T for many positions x [n, d], the positions split across the cores.

    Each thread multiplies its block of rows by the whole (small, cache-resident) matrix with
    single-threaded BLAS. Unlike OpenBLAS's own threads this degrades gracefully on a busy
    machine: a part that waits for a core delays the result, it does not stall every call.
    """
    import numpy as np

    parts = min(cpu_count(), max(1, x.shape[0] // 16))
    out = np.empty((x.shape[0], w.shape[0]), dtype=np.result_type(x, w))
    bounds = np.linspace(0, x.shape[0], parts + 1).astype(int)

    def run(i: int) -> None:
        lo, hi = bounds[i], bounds[i + 1]
        np.matmul(x[lo:hi], w.T, out=out[lo:hi])

    futures = [_executor().submit(run, i) for i in range(1, parts)]
    run(0)
    for future in futures:
        future.result()
    return out
