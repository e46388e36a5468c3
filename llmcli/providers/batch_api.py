"""OpenAI's Batch API (and Groq's, the same shape) through the provider's own SDK client.

Files are uploaded with `purpose=batch`, a job is created on `/v1/chat/completions` with a 24 h
window, polled with `batches.retrieve`, cancelled with `batches.cancel`, and its output and
error files are downloaded with `files.content` straight to disk (never held in memory whole).
A request line's body is the same keyword set a synchronous call sends (`_chat_kwargs`), so a
request is built one way for both.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.batch_jobs import RemoteJob

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.providers.openai_compat import OpenAIProvider

ENDPOINT = "/v1/chat/completions"
WINDOW = "24h"


class StainlessBatchService:
    """`client.files` and `client.batches` of the openai or groq SDK."""

    endpoint = ENDPOINT
    limits = (50_000, 200 * 1024 * 1024)  # (requests, bytes) per input file

    def __init__(self, provider: OpenAIProvider):
        self.provider = provider

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        kw = self.provider._chat_kwargs(request, stream=False)
        extra = kw.pop("extra_body", None) or {}
        return {**kw, **extra}

    def upload(self, path: Path) -> str:
        with self.provider._mapped_errors(None), path.open("rb") as fh:
            return self.provider.client.files.create(
                file=(path.name, fh, "application/jsonl"), purpose="batch"
            ).id

    def create(self, file_id: str, metadata: dict[str, str]) -> RemoteJob:
        with self.provider._mapped_errors(None):
            job = self.provider.client.batches.create(
                input_file_id=file_id, endpoint=ENDPOINT, completion_window=WINDOW,
                metadata=metadata or None,
            )
        return _job(job)

    def retrieve(self, job_id: str) -> RemoteJob:
        with self.provider._mapped_errors(None):
            return _job(self.provider.client.batches.retrieve(job_id))

    def cancel(self, job_id: str) -> RemoteJob:
        with self.provider._mapped_errors(None):
            return _job(self.provider.client.batches.cancel(job_id))

    def download(self, file_id: str, dest: Path) -> None:
        # Streamed to disk in chunks: an output file can be hundreds of megabytes.
        with self.provider._mapped_errors(None), \
                self.provider.client.files.with_streaming_response.content(file_id) as resp:
            resp.stream_to_file(dest)


def _job(job: Any) -> RemoteJob:
    counts = getattr(job, "request_counts", None)
    errors = getattr(job, "errors", None)
    messages = [str(getattr(e, "message", e)) for e in (getattr(errors, "data", None) or [])]
    return RemoteJob(
        id=job.id,
        status=str(job.status),
        total=int(getattr(counts, "total", 0) or 0),
        completed=int(getattr(counts, "completed", 0) or 0),
        failed=int(getattr(counts, "failed", 0) or 0),
        created_at=getattr(job, "created_at", None),
        expires_at=getattr(job, "expires_at", None),
        output_file_id=getattr(job, "output_file_id", None),
        error_file_id=getattr(job, "error_file_id", None),
        errors=messages,
    )
