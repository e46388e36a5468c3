"""Gemini's batch mode for the stub: `models/{m}:batchGenerateContent` with inline requests,
`batches/{id}` and `batches/{id}:cancel` (the wire shape google-genai 3.x reads: the job in
`metadata`, state `BATCH_STATE_*`, results in `metadata.output.inlinedResponses`).

Driven by the test like the OpenAI one: `advance(name, "running")`, `finish(name, "succeeded",
done=N)` (the first N requests answered, with the `fail_keys` answered by an error),
`batch_steps` applied one per GET.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.stubs.base import Headers, Recorded, Reply

_BATCH = re.compile(r"^/(v1|v1beta)/batches/([^:/]+)(:cancel)?$")
ENDED = ("succeeded", "failed", "cancelled", "expired")


@dataclass
class GeminiBatch:
    name: str
    model: str
    display_name: str
    requests: list[dict[str, Any]]
    state: str = "pending"
    results: list[dict[str, Any]] | None = None
    created: float = field(default_factory=time.time)


class GeminiBatchEndpoints:
    def _init_batches(self) -> None:
        self.batches: dict[str, GeminiBatch] = {}
        self.batch_steps: list[str] = []
        self.fail_keys: set[str] = set()

    def batch_route(self, req: Recorded) -> str | None:
        m = _BATCH.match(req.route_path)
        if m and req.method == "GET" and not m.group(3):
            return "batches.retrieve"
        if m and req.method == "POST" and m.group(3):
            return "batches.cancel"
        if req.method == "POST" and req.route_path.endswith(":batchGenerateContent"):
            return "batches.create"
        return None

    def batch_default(self, route: str, req: Recorded) -> Reply:
        if route == "batches.create":
            body = (req.body or {}).get("batch") or {}
            requests = ((body.get("inputConfig") or {}).get("requests") or {}).get("requests")
            if not requests:
                return self.error(400, "INVALID_ARGUMENT", "batch.input_config is required")  # type: ignore[attr-defined]
            name = f"batches/stub{len(self.batches) + 1:04d}"
            model = req.route_path.rsplit("/", 1)[-1].split(":")[0]
            self.batches[name] = GeminiBatch(name, model, body.get("displayName", ""), requests)
            return Reply(200, self.batch_body(name))
        m = _BATCH.match(req.route_path)
        name = f"batches/{m.group(2)}" if m else ""
        if name not in self.batches:
            return self.error(404, "NOT_FOUND", f"Batch {name} not found.")  # type: ignore[attr-defined]
        if route == "batches.cancel":
            job = self.batches[name]
            if job.state not in ENDED:
                self.finish(name, "cancelled", done=0)
            return Reply(200, {})
        if self.batch_steps:
            step = self.batch_steps.pop(0)
            if step in ENDED:
                self.finish(name, step)
            else:
                self.advance(name, step)
        return Reply(200, self.batch_body(name))

    # -- the test's controls --------------------------------------------------------------------
    def advance(self, name: str, state: str) -> None:
        assert state in ("pending", "running"), state
        self.batches[name].state = state

    def finish(self, name: str, state: str = "succeeded", *, done: int | None = None) -> None:
        assert state in ENDED, state
        job = self.batches[name]
        job.state = state
        n = len(job.requests) if done is None else done
        if state == "failed":
            n = 0
        job.results = []
        for item in job.requests[:n]:
            meta = item.get("metadata") or {}
            if meta.get("key") in self.fail_keys:
                job.results.append({"metadata": meta, "error": {
                    "code": 3, "message": "Request contains an invalid argument."}})
                continue
            request = item.get("request") or {}
            fake = Recorded("POST", f"/v1/models/{job.model}:generateContent", Headers([]), b"",
                            request)
            job.results.append({"metadata": meta,
                                "response": self.generate(fake).body})  # type: ignore[attr-defined]

    def batch_body(self, name: str) -> dict[str, Any]:
        job = self.batches[name]
        created = datetime.fromtimestamp(job.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        meta: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": name, "displayName": job.display_name, "model": f"models/{job.model}",
            "state": f"BATCH_STATE_{job.state.upper()}", "createTime": created,
            "updateTime": created,
            "batchStats": {"requestCount": str(len(job.requests))},
        }
        if job.results is not None:
            meta["endTime"] = created
            meta["output"] = {"inlinedResponses": {"inlinedResponses": job.results}}
        return {"name": name, "metadata": meta, "done": job.results is not None}
