"""Gemini's batch mode (`models/{m}:batchGenerateContent`) with inline requests, on google-genai.

The request file stays on this machine: its lines (the same `custom_id`/`body` JSONL as the
other providers', the body being the `contents` and `config` a synchronous call sends) are sent
inline in `client.batches.create(model=..., src=[...])`, each with `metadata.key = custom_id`.
The results come back inline in the job; `download` writes them in the OpenAI batch output
shape (`custom_id`, `response.status_code`, `response.body.choices/usage`, or `error`), so
fetching is one code path for every provider. Inline requests are limited to 20 MB per job.
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


class GeminiBatchService:
    endpoint = "generateContent"
    limits = (50_000, 20 * 1024 * 1024)  # (requests, bytes) per job: inline requests

    def __init__(self, provider: GeminiProvider):
        self.provider = provider

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        contents, config = self.provider._request(request)
        return {"model": request.model, "contents": contents,
                "config": config.model_dump(mode="json", exclude_none=True)}

    def upload(self, path: Path) -> str:
        return LOCAL + str(path.resolve())

    def create(self, file_id: str, metadata: dict[str, str]) -> RemoteJob:
        src = []
        model = None
        with Path(file_id.removeprefix(LOCAL)).open("rb") as fh:
            for raw in fh:
                line = json.loads(raw)
                body = line["body"]
                model = model or body["model"]
                src.append({"contents": body["contents"], "config": body.get("config") or None,
                            "metadata": {"key": line["custom_id"]}})
        name = "llmcli-" + "-".join(metadata.values())
        job = self.provider._call(model, self.provider.client.batches.create, model=model,
                                  src=src, config={"display_name": name})
        return _job(job, total=len(src))

    def retrieve(self, job_id: str) -> RemoteJob:
        return _job(self.provider._call(None, self.provider.client.batches.get, name=job_id))

    def cancel(self, job_id: str) -> RemoteJob:
        self.provider._call(None, self.provider.client.batches.cancel, name=job_id)
        return self.retrieve(job_id)

    def download(self, file_id: str, dest: Path) -> None:
        job = self.provider._call(None, self.provider.client.batches.get,
                                  name=file_id.removeprefix(INLINE))
        responses = (job.dest.inlined_responses if job.dest else None) or []
        with dest.open("w", encoding="utf-8") as out:
            for item in responses:
                out.write(json.dumps(_result(item), ensure_ascii=False) + "\n")


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
    failed = sum(1 for r in responses if r.error is not None or r.response is None)
    created = int(job.create_time.timestamp()) if job.create_time else None
    errors = [str(job.error.message)] if getattr(job, "error", None) is not None else []
    if status == "failed" and not errors:
        errors = [f"the job ended in {state}"]
    return RemoteJob(
        id=job.name, status=status, total=total or len(responses),
        completed=len(responses) - failed, failed=failed, created_at=created,
        expires_at=None,  # Gemini publishes no expiry time for a job
        output_file_id=INLINE + job.name if responses else None, errors=errors,
    )
