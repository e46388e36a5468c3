"""How the engine uses the cores: numpy's BLAS thread count, and splitting work ourselves.

Why: decoding multiplies small matrices by one vector (a [1024, 640] projection takes ~20 us).
On an idle machine OpenBLAS's own threads do that best (a decode step ~26 ms on 2 cores). But
when another process holds a core (a shared 2-core machine), every product OpenBLAS splits
waits for a scheduler tick: the same step then takes 70-170 ms. Single-threaded BLAS with only
the 262,144-row output projection split by us (`split_matvec`) stays near 35-40 ms there.
`DecodeThreads` measures both ways as decoding goes and keeps the faster one.

Prompts (matrix-matrix products) always run single-threaded BLAS on row blocks split across
the cores (`split_matmul`): as fast as OpenBLAS's threads when idle, and no stalls when busy.

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
    """w @ x for a tall w [rows, d] and x [d] (or a few vectors [d, n]), the rows of w split
    across the cores.

    numpy releases the GIL inside BLAS, so Python threads run the parts in parallel; the
    calling thread does the first part itself, so one hand-off per worker is all it costs.
    """
    import numpy as np

    parts = cpu_count()
    if parts < 2 or (get_threads() or 1) > 1:  # BLAS threads already share the work
        return w @ x
    out = np.empty(w.shape[:1] + x.shape[1:], dtype=np.result_type(w, x))
    bounds = np.linspace(0, w.shape[0], parts + 1).astype(int)

    def run(i: int) -> None:
        lo, hi = bounds[i], bounds[i + 1]
        if x.ndim == 1:
            np.matmul(w[lo:hi], x, out=out[lo:hi])
        else:
            blocked_matmul(w, x, out, lo, hi)

    futures = [_executor().submit(run, i) for i in range(1, parts)]
    run(0)
    for future in futures:
        future.result()
    return out


BLOCK_ROWS = 256  # 256 x 640 float32 = 640 KB: stays in L2 while every vector uses it


def blocked_matmul(w, x, out, lo: int = 0, hi: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """out[lo:hi] = w[lo:hi] @ x for a few vectors x [d, n], a block of rows at a time.

    Why: a plain sgemm with n = 2..8 first packs w into a buffer, so the bandwidth-bound
    product reads (and writes) w two to three times; block by block, each block is read from
    memory once and reused from cache by every vector (measured: 4 vectors cost ~1.3 passes).
    """
    import numpy as np

    end = w.shape[0] if hi is None else hi
    for a in range(lo, end, BLOCK_ROWS):
        b = min(a + BLOCK_ROWS, end)
        np.matmul(w[a:b], x, out=out[a:b])


def split_matmul(x, w):  # type: ignore[no-untyped-def]
    """x @ w.T for many positions x [n, d], the positions split across the cores.

    Each thread multiplies its block of rows by the whole (small, cache-resident) matrix with
    single-threaded BLAS. Unlike OpenBLAS's own threads this degrades gracefully on a busy
    machine: a part that waits for a core delays the result, it does not stall every call.
    """
    import numpy as np

    if (get_threads() or 1) > 1:  # BLAS threads already share the work
        return x @ w.T
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


class DecodeThreads:
    """Chooses, step by step, the BLAS thread count of a decode step by measured step time.

    Two modes: every core (OpenBLAS threads) or one (with the output projection split by
    `split_matvec`). The running mode's step time is tracked as a moving average; the other
    mode is tried again every `probe_every` steps and its probe replaces its old figure, so
    the choice follows the machine's load (another process starting or stopping) within a
    step or a probe, at a cost of one step in 32.
    """

    def __init__(self, probe_every: int = 32):
        self.probe_every = probe_every
        self.cost: dict[int, float | None] = {cpu_count(): None, 1: None}
        self.steps = 0
        self._probe: int | None = None

    def pick(self) -> int:
        self.steps += 1
        untried = [mode for mode, cost in self.cost.items() if cost is None]
        if untried:
            return untried[0]
        ranked = sorted(self.cost, key=lambda mode: self.cost[mode] or 0.0)
        self._probe = ranked[1] if self.steps % self.probe_every == 0 else None
        return self._probe or ranked[0]

    def record(self, mode: int, seconds: float) -> None:
        old = self.cost[mode]
        fresh = old is None or mode == self._probe
        self.cost[mode] = seconds if fresh else 0.7 * old + 0.3 * seconds
