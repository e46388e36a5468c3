"""store/batch_jobs.py on a real SQLite file: jobs, parts, lookups, updates."""

from __future__ import annotations

import pytest

from llmcli.core.batch_jobs import RemoteJob
from llmcli.core.errors import InvalidInput
from llmcli.store.batch_jobs import BatchJobStore, Job, JobPart
from llmcli.store.logs import LogStore


def make(store: BatchJobStore, ident: str, remote: str) -> Job:
    job = Job(id=ident, created="2026-12-06T05:00:00.000+00:00", provider="openai",
              model="gpt-4o-mini", source="in.jsonl", template=None, extracts=False,
              requests=3, status="validating",
              parts=[JobPart(1, remote, "file-1", 3, "validating", expires_at=100)])
    store.add(job)
    return job


def test_a_job_is_found_by_id_prefix_or_provider_id_from_a_new_connection(tmp_path):
    path = tmp_path / "logs.db"
    store = BatchJobStore(LogStore(path))
    make(store, "abc123", "batch_1")
    make(store, "abd456", "batch_2")
    store.update_part("abc123", 1, RemoteJob("batch_1", "completed", 3, 2, 1, expires_at=200,
                                             output_file_id="f-o", error_file_id="f-e"))
    store.set_status("abc123", "completed")
    store.set_cost("abc123", 0.5)
    again = BatchJobStore(LogStore(path))
    job = again.get("abc")
    assert (job.status, job.cost, job.cost_known, job.completed, job.failed, job.expires_at) == (
        "completed", 0.5, True, 2, 1, 200)
    assert job.parts[0].output_file_id == "f-o"
    assert again.get("batch_2").id == "abd456"
    assert [j.id for j in again.all()] == ["abd456", "abc123"]
    with pytest.raises(InvalidInput, match="matches 2"):
        again.get("ab")
    with pytest.raises(InvalidInput, match="no batch job"):
        again.get("zzz")
