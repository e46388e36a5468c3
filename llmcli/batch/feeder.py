"""Reading the inputs on their own thread, so a slow producer never holds back the output."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from llmcli.batch.inputs import BadLine, Item

END = object()  # no more inputs


class Feeder:
    """Reads the inputs on a daemon thread into a bounded queue.

    A producer that writes slowly into `llmcli batch -` then never holds back the records
    that have finished: the calling thread waits on requests and on inputs at once. An error
    while reading (a CSV header it cannot use) is raised where the record would have been.
    """

    def __init__(self, records: Iterable[Item | BadLine], size: int):
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, size))
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(iter(records),), daemon=True, name="llmcli-batch-reader"
        )
        self._thread.start()

    def _read(self, records: Iterator[Item | BadLine]) -> None:
        try:
            for rec in records:
                if not self._put(rec):
                    return
        except BaseException as exc:  # handed over to the calling thread
            self._put(_Failed(exc))
            return
        self._put(END)

    def _put(self, item: Any) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, timeout: float | None) -> Any:
        """The next record, `END`, or queue.Empty when none came within `timeout` (None: now)."""
        item = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        if isinstance(item, _Failed):
            raise item.exc
        return item

    def close(self) -> None:
        self._closed.set()


@dataclass(slots=True)
class _Failed:
    exc: BaseException
