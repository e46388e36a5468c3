"""A provider's asynchronous batch job as llmcli sees it, whatever the API: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from llmcli.core.messages import ChatRequest

# Statuses after which a job never changes again.
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(slots=True)
class RemoteJob:
    """One job on the provider's side: its status and request counts."""

    id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    created_at: int | None = None  # Unix seconds
    expires_at: int | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = field(default_factory=list)  # job-level errors (a 'failed' job)

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class BatchService(Protocol):
    """The files + jobs API of a provider that has batch jobs (Capability.BATCH_JOBS)."""

    endpoint: str  # the request line's `url`
    limits: tuple[int, int]  # (requests, bytes) per request file / job


    def request_body(self, request: ChatRequest) -> dict[str, Any]: ...

    def upload(self, path: Path) -> str: ...

    def create(self, file_id: str, metadata: dict[str, str]) -> RemoteJob: ...

    def retrieve(self, job_id: str) -> RemoteJob: ...

    def cancel(self, job_id: str) -> RemoteJob: ...

    def download(self, file_id: str, dest: Path) -> None:
        """Write a result file to `dest` in OpenAI's batch output shape (one JSON per line:
        `custom_id` and `response.status_code/body`, or `error`)."""
