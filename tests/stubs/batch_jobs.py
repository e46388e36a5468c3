"""The files and batches endpoints of OpenAI's Batch API (Groq's is the same shape), for stubs.

`BatchEndpoints` is mixed into `OpenAIStub` (and so `GroqStub`). The lifecycle is driven by the
test, never by time:

    job = stub.batch(batch_id)                      # the stub's record of a created job
    stub.advance(batch_id, "in_progress", done=1)   # status and request counts
    stub.finish(batch_id)                           # completed: output (and error) file written
    stub.finish(batch_id, "expired", done=2)        # expired after 2 requests: the rest errors
    stub.batch_steps = ["in_progress", "completed"] # each GET /batches/{id} applies the next step

Results are built from the uploaded request lines with the stub's own chat reply
(`completion_body`), so `echo = True` answers each request with its last user message.
`fail_ids` puts those custom_ids in the error file with a 400.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import time
from dataclasses import dataclass, field
from typing import Any

from tests.stubs.base import Headers, Recorded, Reply

STATUSES = ("validating", "in_progress", "finalizing", "completed", "failed", "expired",
            "cancelling", "cancelled")
ENDED = ("completed", "failed", "expired", "cancelled")
CREATED_AT = 1700000000
WINDOW = 24 * 3600


@dataclass
class StubBatch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, Any] | None
    status: str = "validating"
    done: int = 0  # requests answered so far (successes and failures)
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    created_at: int = field(default_factory=lambda: int(time.time()))  # shown, never awaited


class BatchEndpoints:
    """Routes `files.*` and `batches.*`; a subclass's `route`/`default` call these first."""

    def _init_batches(self) -> None:
        self.files: dict[str, tuple[str, str, bytes]] = {}  # id -> (filename, purpose, data)
        self.batches: dict[str, StubBatch] = {}
        self.batch_steps: list[str] = []  # applied one per GET /batches/{id}
        self.fail_ids: set[str] = set()
        self.max_file_bytes: int | None = None  # larger uploads are refused with a 400

    # -- routing --------------------------------------------------------------------------------
    def batch_route(self, method: str, rest: str) -> str | None:
        parts = rest.strip("/").split("/")
        if parts[0] == "files":
            if method == "POST" and len(parts) == 1:
                return "files.create"
            if method == "GET" and len(parts) == 3 and parts[2] == "content":
                return "files.content"
            if method == "GET" and len(parts) == 2:
                return "files.retrieve"
        if parts[0] == "batches":
            if method == "POST" and len(parts) == 1:
                return "batches.create"
            if method == "GET" and len(parts) == 2:
                return "batches.retrieve"
            if method == "POST" and len(parts) == 3 and parts[2] == "cancel":
                return "batches.cancel"
        return None

    def batch_default(self, route: str, req: Recorded) -> Reply:
        parts = req.route_path.rstrip("/").split("/")
        if route == "files.create":
            return self._upload(req)
        if route == "files.retrieve":
            fid = parts[-1]
            if fid not in self.files:
                return self._missing("file", fid)
            return Reply(200, self._file_object(fid))
        if route == "files.content":
            fid = parts[-2]
            if fid not in self.files:
                return self._missing("file", fid)
            return Reply(200, self.files[fid][2], content_type="application/octet-stream")
        if route == "batches.create":
            return self._create(req)
        bid = parts[-2] if route == "batches.cancel" else parts[-1]
        if bid not in self.batches:
            return self._missing("batch", bid)
        if route == "batches.retrieve":
            if self.batch_steps:
                step = self.batch_steps.pop(0)
                if step in ENDED:
                    self.finish(bid, step)
                else:
                    self.advance(bid, step)
        else:
            job = self.batches[bid]
            if job.status in ENDED:
                return Reply(400, {"error": {"message": f"Cannot cancel a batch with status "
                                             f"'{job.status}'.", "type": "invalid_request_error",
                                             "code": None, "param": None}})
            job.status = "cancelling"
        return Reply(200, self.batch_object(bid))

    # -- the test's controls --------------------------------------------------------------------
    def batch(self, bid: str) -> StubBatch:
        return self.batches[bid]

    def advance(self, bid: str, status: str, *, done: int | None = None) -> None:
        """Move a job to `status` (not an end state) with `done` requests answered."""
        assert status in STATUSES and status not in ENDED, status
        job = self.batches[bid]
        job.status = status
        if done is not None:
            job.done = done

    def finish(self, bid: str, status: str = "completed", *, done: int | None = None) -> None:
        """End a job: the first `done` requests (default: all when completed, those answered so
        far when expired or cancelled; none when failed) are answered
        and written to the output file (the `fail_ids` to the error file); with `expired` or
        `cancelled` the others go to the error file as not run."""
        assert status in ENDED, status
        job = self.batches[bid]
        job.status = status
        if status == "failed":
            job.errors = [{"code": "invalid_request", "message": "the input file is invalid",
                           "line": 1, "param": None}]
            job.done = 0
            return
        if done is None:  # a job cut short keeps what it had answered
            done = job.done if status in ("expired", "cancelled") else len(job.lines)
        n = done
        job.done = len(job.lines) if status in ("expired", "cancelled") else n
        out: list[bytes] = []
        err: list[bytes] = []
        for i, line in enumerate(job.lines):
            cid = line.get("custom_id")
            if i >= n:
                code = "batch_expired" if status == "expired" else "batch_cancelled"
                err.append(_jl({"id": f"batch_req_{i}", "custom_id": cid, "response": None,
                                "error": {"code": code, "message": "This request could not be "
                                          "executed before the batch ended."}}))
            elif cid in self.fail_ids:
                body = {"error": {"message": "Invalid 'messages': stub refusal.",
                                  "type": "invalid_request_error", "param": "messages",
                                  "code": None}}
                err.append(_jl({"id": f"batch_req_{i}", "custom_id": cid, "error": None,
                                "response": {"status_code": 400, "request_id": f"req_{i}",
                                             "body": body}}))
            else:
                body = line.get("body") or {}
                fake = Recorded("POST", "", Headers([]), b"", body)
                reply = self.completion_body(fake, str(body.get("model")))  # type: ignore[attr-defined]
                out.append(_jl({"id": f"batch_req_{i}", "custom_id": cid, "error": None,
                                "response": {"status_code": 200, "request_id": f"req_{i}",
                                             "body": reply}}))
        if out:
            job.output_file_id = self._store(f"{bid}_output.jsonl", "batch_output", b"".join(out))
        if err:
            job.error_file_id = self._store(f"{bid}_error.jsonl", "batch_output", b"".join(err))

    def batch_object(self, bid: str) -> dict[str, Any]:
        job = self.batches[bid]
        total = len(job.lines)
        failed = 0
        if job.status in ENDED and job.error_file_id:
            failed = self.files[job.error_file_id][2].count(b"\n")
        elif job.status not in ENDED:
            failed = sum(1 for ln in job.lines[: job.done] if ln.get("custom_id") in self.fail_ids)
        stamps = {f"{s}_at": None for s in ("in_progress", "finalizing", "completed", "failed",
                                               "expired", "cancelling", "cancelled")}
        if job.status != "validating":
            stamps[f"{job.status}_at"] = job.created_at + 60
        return {
            "id": job.id, "object": "batch", "endpoint": job.endpoint,
            "errors": {"object": "list", "data": job.errors} if job.errors else None,
            "input_file_id": job.input_file_id, "completion_window": job.completion_window,
            "status": job.status, "output_file_id": job.output_file_id,
            "error_file_id": job.error_file_id, "created_at": job.created_at,
            "expires_at": job.created_at + WINDOW, **stamps,
            "request_counts": {"total": total, "completed": job.done - failed, "failed": failed},
            "metadata": job.metadata,
        }

    # -- internals ------------------------------------------------------------------------------
    def _upload(self, req: Recorded) -> Reply:
        ctype = req.headers.get("content-type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + req.raw_body
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
        if "file" not in fields or "purpose" not in fields:
            return self._bad("multipart form needs 'file' and 'purpose'")
        purpose = fields["purpose"][1].decode()
        filename, data = fields["file"]
        if self.max_file_bytes is not None and len(data) > self.max_file_bytes:
            return self._bad(f"file of {len(data)} bytes is over the {self.max_file_bytes} limit")
        fid = self._store(filename or "upload.jsonl", purpose, data)
        return Reply(200, self._file_object(fid))

    def _create(self, req: Recorded) -> Reply:
        body = req.body if isinstance(req.body, dict) else {}
        fid = body.get("input_file_id")
        if fid not in self.files:
            return self._missing("file", str(fid))
        lines = [json.loads(x) for x in self.files[fid][2].splitlines() if x.strip()]
        for ln in lines:
            if set(ln) != {"custom_id", "method", "url", "body"}:
                return self._bad(f"request line has fields {sorted(ln)}")
            if ln["url"] != body.get("endpoint"):
                return self._bad(f"line url {ln['url']} differs from endpoint")
        ids = [ln["custom_id"] for ln in lines]
        if len(set(ids)) != len(ids):
            return self._bad("custom_id values must be unique")
        bid = f"batch_{len(self.batches) + 1:04d}"
        self.batches[bid] = StubBatch(
            id=bid, input_file_id=fid, endpoint=body.get("endpoint", ""),
            completion_window=body.get("completion_window", ""), metadata=body.get("metadata"),
            lines=lines,
        )
        return Reply(200, self.batch_object(bid))

    def _store(self, filename: str, purpose: str, data: bytes) -> str:
        fid = f"file-{len(self.files) + 1:04d}"
        self.files[fid] = (filename, purpose, data)
        return fid

    def _file_object(self, fid: str) -> dict[str, Any]:
        name, purpose, data = self.files[fid]
        return {"id": fid, "object": "file", "bytes": len(data), "created_at": CREATED_AT,
                "filename": name, "purpose": purpose, "status": "processed"}

    def _bad(self, message: str) -> Reply:
        return Reply(400, {"error": {"message": message, "type": "invalid_request_error",
                                     "param": None, "code": None}})

    def _missing(self, what: str, ident: str) -> Reply:
        return Reply(404, {"error": {"message": f"No such {what}: '{ident}'",
                                     "type": "invalid_request_error", "param": None,
                                     "code": None}})


def _jl(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"
