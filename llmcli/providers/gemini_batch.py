"""Gemini's batch mode (`models/{m}:batchGenerateContent`) on google-genai: inline requests, or
a JSONL file uploaded through the Files API when they would pass the inline limit.

The request file stays on this machine in the same `custom_id`/`body` JSONL as the other
providers' (the body being the `contents` and `config` a synchronous call sends). Up to the
inline limit (20 MB per job) its lines are sent inline in `client.batches.create(model=...,
src=[...])`, each with `metadata.key = custom_id`, and the results come back inline in the job.
Past it, the lines are rewritten in Gemini's file shape (`{"key", "request"}`, the request as
the SDK itself would send it inline), uploaded with `client.files.upload`, the job is created
with `src={"file_name": ...}`, and its results file (`dest.file_name`) is downloaded with
`client.files.download` straight to disk. Either way `download` writes the results in the
OpenAI batch output shape (`custom_id`, `response.status_code`, `response.body.choices/usage`,
or `error`), so fetching is one code path for every provider.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.batch_jobs import RemoteJob

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.providers.gemini import GeminiProvider

LOCAL = "local:"  # a request "file id" that is a path on this machine
INLINE = "inline:"  # an output "file id" that is the job's own inline responses
_STATES = {
    "JOB_STATE_QUEUED": "validating", "JOB_STATE_PENDING": "validating",
    "JOB_STATE_RUNNING": "in_progress", "JOB_STATE_UPDATING": "in_progress",
    "JOB_STATE_PAUSED": "in_progress", "JOB_STATE_SUCCEEDED": "completed",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "completed", "JOB_STATE_FAILED": "failed",
    "JOB_STATE_CANCELLING": "cancelling", "JOB_STATE_CANCELLED": "cancelled",
    "JOB_STATE_EXPIRED": "expired",
}


INLINE_MAX_BYTES = 20 * 1024 * 1024  # Gemini's limit on a job's inline requests
FILE_MAX_BYTES = 2 * 1024 * 1024 * 1024  # the Files API's limit on one file


class GeminiBatchService:
    endpoint = "generateContent"
    limits = (50_000, FILE_MAX_BYTES)  # (requests, bytes) per job; past 20 MB, as a file

    def __init__(self, provider: GeminiProvider, inline_max_bytes: int = INLINE_MAX_BYTES):
        self.provider = provider
        self.inline_max_bytes = inline_max_bytes
        self._uploaded: dict[str, tuple[str, int]] = {}  # file name -> (model, requests)

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        contents, config = self.provider._request(request)
        return {"model": request.model, "contents": contents,
                "config": config.model_dump(mode="json", exclude_none=True)}

    def upload(self, path: Path) -> str:
        """Nothing to upload for inline requests; past the inline limit, the file route."""
        if path.stat().st_size <= self.inline_max_bytes:
            return LOCAL + str(path.resolve())
        return self._upload_file(path)

    def _upload_file(self, path: Path) -> str:
        from google.genai.batches import _InlinedRequest_to_mldev

        api = self.provider.client._api_client
        wire = path.with_name(path.stem + ".gemini.jsonl")
        model, n = None, 0
        with path.open("rb") as src, wire.open("wb") as out:
            for raw in src:
                line = json.loads(raw)
                body = line["body"]
                model = model or body["model"]
                # The SDK's own conversion of an inline request: a file line is exactly what
                # the inline route would send for it.
                request = _InlinedRequest_to_mldev(api, {"contents": body["contents"],
                                                         "config": body.get("config")})
                out.write(json.dumps({"key": line["custom_id"], "request": request["request"]},
                                     ensure_ascii=False).encode() + b"\n")
                n += 1
        uploaded = self.provider._call(model, self.provider.client.files.upload,
                                       file=str(wire), config={"mime_type": "jsonl",
                                                               "display_name": path.name})
        self._uploaded[uploaded.name] = (model, n)
        return str(uploaded.name)

    def create(self, file_id: str, metadata: dict[str, str]) -> RemoteJob:
        name = "llmcli-" + "-".join(metadata.values())
        if not file_id.startswith(LOCAL):  # the file route: a file the Files API holds
            model, n = self._uploaded[file_id]
            job = self.provider._call(model, self.provider.client.batches.create, model=model,
                                      src={"file_name": file_id},
                                      config={"display_name": name})
            return _job(job, total=n)
        src = []
        model = None
        with Path(file_id.removeprefix(LOCAL)).open("rb") as fh:
            for raw in fh:
                line = json.loads(raw)
                body = line["body"]
                model = model or body["model"]
                src.append({"contents": body["contents"], "config": body.get("config") or None,
                            "metadata": {"key": line["custom_id"]}})
        job = self.provider._call(model, self.provider.client.batches.create, model=model,
                                  src=src, config={"display_name": name})
        return _job(job, total=len(src))

    def retrieve(self, job_id: str) -> RemoteJob:
        return _job(self.provider._call(None, self.provider.client.batches.get, name=job_id))

    def cancel(self, job_id: str) -> RemoteJob:
        self.provider._call(None, self.provider.client.batches.cancel, name=job_id)
        return self.retrieve(job_id)

    def download(self, file_id: str, dest: Path) -> None:
        if not file_id.startswith(INLINE):
            return self._download_file(file_id, dest)
        job = self.provider._call(None, self.provider.client.batches.get,
                                  name=file_id.removeprefix(INLINE))
        responses = (job.dest.inlined_responses if job.dest else None) or []
        with dest.open("w", encoding="utf-8") as out:
            for item in responses:
                out.write(json.dumps(_result(item), ensure_ascii=False) + "\n")

    def _download_file(self, file_id: str, dest: Path) -> None:
        """The results file, streamed to disk, then rewritten line by line (memory stays flat
        however large it is): each `{"key", "response" | "error"}` read as the SDK reads an
        inline response."""
        from google.genai import types
        from google.genai.batches import _InlinedResponse_from_mldev

        raw = dest.with_name(dest.name + ".gemini")
        self.provider._call(None, self.provider.client.files.download, file=file_id,
                            destination=str(raw))
        try:
            with raw.open("rb") as src, dest.open("w", encoding="utf-8") as out:
                for line in src:
                    if not line.strip():
                        continue
                    wire = json.loads(line)
                    item = _InlinedResponse_from_mldev({
                        "response": wire.get("response"), "metadata": {"key": wire.get("key")},
                        "error": wire.get("error") or wire.get("status")})
                    result = types.InlinedResponse._from_response(response=item, kwargs={})
                    out.write(json.dumps(_result(result), ensure_ascii=False) + "\n")
        finally:
            raw.unlink(missing_ok=True)
        return None


def _result(item: Any) -> dict[str, Any]:
    cid = (item.metadata or {}).get("key")
    if item.error is not None or item.response is None:
        err = item.error
        return {"custom_id": cid, "response": None, "error": {
            "code": getattr(err, "code", None), "message": getattr(err, "message", None)
            or "no response"}}
    resp = item.response
    usage = resp.usage_metadata
    out_tokens = None
    if usage is not None:
        out_tokens = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
    body = {"choices": [{"message": {"content": resp.text or ""}}],
            "usage": {"prompt_tokens": usage.prompt_token_count if usage else None,
                      "completion_tokens": out_tokens}}
    return {"custom_id": cid, "error": None, "response": {"status_code": 200, "body": body}}


def _job(job: Any, total: int | None = None) -> RemoteJob:
    state = str(getattr(job.state, "value", job.state))
    status = _STATES.get(state, "in_progress")
    responses = (job.dest.inlined_responses if job.dest else None) or []
    results_file = job.dest.file_name if job.dest else None  # the file route
    failed = sum(1 for r in responses if r.error is not None or r.response is None)
    created = int(job.create_time.timestamp()) if job.create_time else None
    errors = [str(job.error.message)] if getattr(job, "error", None) is not None else []
    if status == "failed" and not errors:
        errors = [f"the job ended in {state}"]
    return RemoteJob(
        id=job.name, status=status, total=total or len(responses),
        completed=len(responses) - failed, failed=failed, created_at=created,
        expires_at=None,  # Gemini publishes no expiry time for a job
        output_file_id=results_file or (INLINE + job.name if responses else None),
        errors=errors,
    )
