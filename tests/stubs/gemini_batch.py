"""Gemini's batch mode for the stub: `models/{m}:batchGenerateContent` with inline requests or
an uploaded JSONL file, `batches/{id}` and `batches/{id}:cancel` (the wire shape google-genai 3.x
reads: the job in `metadata`, state `BATCH_STATE_*`, results in
`metadata.output.inlinedResponses`, or a results file named by `metadata.output.responsesFile`).

The Files API as the SDK speaks it: a resumable upload (`POST /upload/v1beta/files` with
`X-Goog-Upload-Command: start` answers an `x-goog-upload-url`; chunks are POSTed there, the
last with `upload, finalize`, answered by the file's resource) and `GET
/v1beta/files/{id}:download?alt=media`. An input file holds one `{"key", "request"}` per line;
a results file one `{"key", "response"}` or `{"key", "error"}` per line.

Driven by the test like the OpenAI one: `advance(name, "running")`, `finish(name, "succeeded",
done=N)` (the first N requests answered, with the `fail_keys` answered by an error),
`batch_steps` applied one per GET.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.stubs.base import Headers, Recorded, Reply

_BATCH = re.compile(r"^/(v1|v1beta)/batches/([^:/]+)(:cancel)?$")
_DOWNLOAD = re.compile(r"^/(?:download/)?(v1|v1beta)/files/([^:/]+):download$")
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
    input_file: str | None = None  # files/...: the requests came in an uploaded file
    results_file: str | None = None


class GeminiBatchEndpoints:
    def _init_batches(self) -> None:
        self.batches: dict[str, GeminiBatch] = {}
        self.batch_steps: list[str] = []
        self.fail_keys: set[str] = set()
        self.uploads: dict[str, bytearray] = {}  # upload id -> bytes received so far
        self.upload_meta: dict[str, dict[str, Any]] = {}  # upload id -> the file's metadata
        self.gemini_files: dict[str, bytes] = {}  # files/... -> content

    def batch_route(self, req: Recorded) -> str | None:
        m = _BATCH.match(req.route_path)
        if m and req.method == "GET" and not m.group(3):
            return "batches.retrieve"
        if m and req.method == "POST" and m.group(3):
            return "batches.cancel"
        if req.method == "POST" and req.route_path.endswith(":batchGenerateContent"):
            return "batches.create"
        if req.method == "POST" and re.match(r"^/upload/(v1|v1beta)/files$", req.route_path):
            return "files.upload_chunk" if req.query.get("upload_id") else "files.upload_start"
        if req.method == "GET" and _DOWNLOAD.match(req.route_path):
            return "files.download"
        return None

    def batch_default(self, route: str, req: Recorded) -> Reply:
        if route.startswith("files."):
            return self.files_default(route, req)
        if route == "batches.create":
            body = (req.body or {}).get("batch") or {}
            config = body.get("inputConfig") or {}
            requests = (config.get("requests") or {}).get("requests")
            file_name = config.get("fileName")
            if file_name is not None:
                if file_name not in self.gemini_files:
                    return self.error(404, "NOT_FOUND", f"File {file_name} not found.")  # type: ignore[attr-defined]
                lines = [json.loads(x) for x in self.gemini_files[file_name].splitlines()
                         if x.strip()]
                requests = [{"request": ln["request"], "metadata": {"key": ln["key"]}}
                            for ln in lines]
            if not requests:
                return self.error(400, "INVALID_ARGUMENT", "batch.input_config is required")  # type: ignore[attr-defined]
            name = f"batches/stub{len(self.batches) + 1:04d}"
            model = req.route_path.rsplit("/", 1)[-1].split(":")[0]
            self.batches[name] = GeminiBatch(name, model, body.get("displayName", ""), requests,
                                             input_file=file_name)
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

    def files_default(self, route: str, req: Recorded) -> Reply:
        if route == "files.upload_start":
            assert req.headers.get("x-goog-upload-protocol") == "resumable"
            assert req.headers.get("x-goog-upload-command") == "start"
            upload_id = f"up{len(self.uploads) + 1}"
            self.uploads[upload_id] = bytearray()
            self.upload_meta[upload_id] = {
                **((req.body or {}).get("file") or {}),
                "mimeType": req.headers.get("x-goog-upload-header-content-type"),
                "size": int(req.headers.get("x-goog-upload-header-content-length") or -1)}
            url = f"{self.host_url}/upload/v1beta/files?upload_id={upload_id}"  # type: ignore[attr-defined]
            return Reply(200, {}, headers={"x-goog-upload-url": url,
                                           "x-goog-upload-status": "active"})
        if route == "files.upload_chunk":
            upload_id = req.query["upload_id"][0]
            data = self.uploads[upload_id]
            assert int(req.headers.get("x-goog-upload-offset") or 0) == len(data)
            data.extend(req.raw_body)
            if "finalize" not in (req.headers.get("x-goog-upload-command") or ""):
                return Reply(200, {}, headers={"x-goog-upload-status": "active"})
            meta = self.upload_meta[upload_id]
            if len(data) != meta["size"]:
                return self.error(400, "INVALID_ARGUMENT", "upload size mismatch")  # type: ignore[attr-defined]
            name = f"files/stubfile{len(self.gemini_files) + 1}"
            self.gemini_files[name] = bytes(data)
            resource = {"name": name, "mimeType": meta.get("mimeType", "text/plain"),
                        "sizeBytes": str(len(data)), "state": "ACTIVE", "source": "UPLOADED"}
            return Reply(200, {"file": resource}, headers={"x-goog-upload-status": "final"})
        m = _DOWNLOAD.match(req.route_path)
        name = f"files/{m.group(2)}" if m else ""
        if name not in self.gemini_files:
            return self.error(404, "NOT_FOUND", f"File {name} not found.")  # type: ignore[attr-defined]
        return Reply(200, self.gemini_files[name], content_type="application/octet-stream")

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
        if job.input_file is not None:  # results go to a file, one {"key", ...} per line
            job.results_file = f"files/batch-{job.name.split('/')[-1]}-results"
            lines = []
            for r in job.results:
                line = {"key": r["metadata"]["key"]}
                line.update({k: v for k, v in r.items() if k in ("response", "error")})
                lines.append(json.dumps(line, ensure_ascii=False))
            self.gemini_files[job.results_file] = ("\n".join(lines) + "\n").encode()

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
            meta["output"] = ({"responsesFile": job.results_file} if job.results_file else
                              {"inlinedResponses": {"inlinedResponses": job.results}})
        return {"name": name, "metadata": meta, "done": job.results is not None}
