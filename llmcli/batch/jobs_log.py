"""Writing a provider batch job's results to the log: one row per provider result, through
the same call every exchange uses (`exchange.record.log_exchange`), marked with the job's id as
its batch (`llmcli logs list --batch JOB`).

The request is rebuilt from what was sent: each request file has beside it the messages its
lines were built from (`jobs_build.messages_path`), and the job keeps the options and schema,
so `exchange.request.build_request` makes the very request a synchronous call would have.
Which (input, part) results are already logged is kept in the database, so fetching a job
twice never writes a row twice; a resubmitted request's new result is a new row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.core.registry import ModelRef
    from llmcli.store.batch_jobs import BatchJobStore, Job
    from llmcli.store.logs import LogStore


class ResultLog:
    """Logs each fetched result once; results of a job made before the messages were kept
    beside its request files cannot be rebuilt, and are left out of the log."""

    def __init__(self, logs: LogStore, store: BatchJobStore, job: Job, ref: ModelRef,
                 folder: Path, template: str | None = None):
        self.logs, self.store, self.job, self.ref = logs, store, job, ref
        self.folder = folder
        self.template = template
        self.done = store.logged(job.id)
        self.written = 0
        self._index: dict[str, tuple[Path, int]] | None = None
        self._options: dict[str, Any] = json.loads(job.options) if job.options else {}
        self._schema = json.loads(job.schema) if job.schema else None

    def add(self, cid: str, part: int, rec: dict[str, Any]) -> None:
        """Log the result of input `cid` run in `part` (a batch record), unless it already is."""
        if (cid, part) in self.done:
            return
        request = self._request(cid)
        if request is None:
            return
        from llmcli.core.response import Response, UsageInfo
        from llmcli.exchange.record import log_exchange

        usage = rec.get("usage") or {}
        response = Response(
            text=rec.get("reply") or "", model=self.job.model, provider=self.job.provider,
            usage=UsageInfo(input_tokens=usage.get("input_tokens"),
                            output_tokens=usage.get("output_tokens")),
            status="complete" if rec["status"] == "ok" else "error",
            error=rec.get("error"), cost=rec.get("cost"),
        )
        log_id = log_exchange(self.logs, request, response, batch_id=self.job.id,
                              template=self.template)
        self.store.mark_logged(self.job.id, cid, part, log_id)
        self.done.add((cid, part))
        self.written += 1

    def _request(self, cid: str) -> ChatRequest | None:
        from llmcli.core.messages import Message
        from llmcli.exchange.request import build_request

        where = self._where().get(cid)
        if where is None:
            return None
        path, offset = where
        with path.open("rb") as fh:
            fh.seek(offset)
            line = json.loads(fh.readline())
        messages = [Message.model_validate(m) for m in line["messages"]]
        return build_request(self.ref, messages, self._options, schema=self._schema)

    def _where(self) -> dict[str, tuple[Path, int]]:
        """custom_id -> (file, offset) over every part's messages: offsets, not the texts, so
        memory stays small however long the prompts are."""
        if self._index is None:
            self._index = {}
            for path in sorted(self.folder.glob("part-*.messages.jsonl")):
                with path.open("rb") as fh:
                    offset = 0
                    for raw in fh:
                        if raw.strip():
                            self._index[str(json.loads(raw)["custom_id"])] = (path, offset)
                        offset += len(raw)
        return self._index
