"""Provider batch jobs (`llmcli batch --provider-batch`): what was submitted, where it stands.

A job is llmcli's handle; its parts are the provider's jobs (more than one when the input was
split to fit the provider's limits). Any later process reads them back to poll, fetch or cancel.
Stored in the logs database (schema migration 4), on its connection.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput, StorageError
from llmcli.store.logs import now_iso

if TYPE_CHECKING:
    from llmcli.core.batch_jobs import RemoteJob
    from llmcli.store.logs import LogStore


@dataclass
class JobPart:
    part: int
    remote_id: str
    input_file_id: str
    requests: int
    status: str
    completed: int = 0
    failed: int = 0
    created_at: int | None = None
    expires_at: int | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    retry: bool = False  # its requests are earlier parts' failures, sent again


@dataclass
class Job:
    id: str
    created: str
    provider: str
    model: str
    source: str
    template: str | None
    extracts: bool
    requests: int
    status: str
    cost: float | None = None
    cost_known: bool = False  # False: an estimate of the input alone
    schema: str | None = None  # --schema, as JSON text: fetched replies are validated
    options: str | None = None  # the options sent (JSON), to log the fetched exchanges
    parts: list[JobPart] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(p.completed for p in self.parts)

    @property
    def failed(self) -> int:
        """Inputs whose latest attempt failed: a resubmission takes its requests out of the
        earlier parts' failures (they count again only if they fail again)."""
        return sum(p.failed for p in self.parts) - sum(p.requests for p in self.parts if p.retry)

    @property
    def expires_at(self) -> int | None:
        stamps = [p.expires_at for p in self.parts if p.expires_at]
        return max(stamps) if stamps else None


class BatchJobStore:
    """Jobs and their parts, on the logs database's connection."""

    def __init__(self, logs: LogStore):
        self.logs = logs

    def _write(self, statements: list[tuple[str, dict[str, Any]]]) -> None:
        conn = self.logs.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, row in statements:
                    conn.execute(sql, row)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"could not record the batch job in {self.logs.path}: {exc}",
                               hint="check the disk and permissions") from None

    def add(self, job: Job) -> None:
        """Record a job with the parts submitted so far (more may be added with `add_part`)."""
        row = {k: getattr(job, k) for k in ("id", "provider", "model", "source", "template",
                                            "requests", "status", "cost", "schema",
                                            "options")}
        row.update(created=job.created or now_iso(), extracts=int(job.extracts),
                   cost_known=int(job.cost_known))
        stmts = [(f"INSERT INTO batch_jobs ({', '.join(row)}) "
                  f"VALUES ({', '.join(':' + k for k in row)})", row)]
        stmts += [_part_insert(job.id, p) for p in job.parts]
        self._write(stmts)

    def delete(self, job_id: str) -> None:
        self._write([("DELETE FROM batch_jobs WHERE id=:id", {"id": job_id})])

    def add_part(self, job_id: str, part: JobPart) -> None:
        self._write([_part_insert(job_id, part)])

    def update_part(self, job_id: str, part: int, remote: RemoteJob) -> None:
        row = {"job_id": job_id, "part": part, "status": remote.status,
               "completed": remote.completed, "failed": remote.failed,
               "expires_at": remote.expires_at, "output_file_id": remote.output_file_id,
               "error_file_id": remote.error_file_id}
        self._write([("UPDATE batch_job_parts SET status=:status, completed=:completed, "
                      "failed=:failed, expires_at=coalesce(:expires_at, expires_at), "
                      "output_file_id=:output_file_id, error_file_id=:error_file_id "
                      "WHERE job_id=:job_id AND part=:part", row)])

    def set_status(self, job_id: str, status: str) -> None:
        self._write([("UPDATE batch_jobs SET status=:status WHERE id=:id",
                      {"id": job_id, "status": status})])

    def set_cost(self, job_id: str, cost: float | None) -> None:
        """The cost of the results fetched (None: the model has no known price)."""
        self._write([("UPDATE batch_jobs SET cost=:cost, cost_known=1 WHERE id=:id",
                      {"id": job_id, "cost": cost})])

    def logged(self, job_id: str) -> set[tuple[str, int]]:
        """(custom_id, part) of the provider results already written to the log."""
        try:
            rows = self.logs.conn.execute(
                "SELECT custom_id, part FROM batch_job_logged WHERE job_id=?", (job_id,))
            return {(r[0], r[1]) for r in rows}
        except sqlite3.Error as exc:
            raise StorageError(f"could not read {self.logs.path}: {exc}") from None

    def mark_logged(self, job_id: str, custom_id: str, part: int, log_id: int) -> None:
        self._write([("INSERT OR IGNORE INTO batch_job_logged (job_id, custom_id, part, log_id) "
                      "VALUES (:job_id, :custom_id, :part, :log_id)",
                      {"job_id": job_id, "custom_id": custom_id, "part": part,
                       "log_id": log_id})])

    def get(self, ident: str) -> Job:
        """A job by its id, a unique prefix of it, or the id of one of its provider jobs."""
        conn = self.logs.conn
        try:
            rows = conn.execute("SELECT * FROM batch_jobs WHERE id = ? OR id LIKE ? || '%' "
                                "OR id IN (SELECT job_id FROM batch_job_parts WHERE remote_id=?)",
                                (ident, ident, ident)).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"could not read {self.logs.path}: {exc}") from None
        exact = [r for r in rows if r["id"] == ident]
        rows = exact or rows
        if not rows:
            raise InvalidInput(f"no batch job '{ident}'", hint="list them with: llmcli batch jobs")
        if len(rows) > 1:
            raise InvalidInput(f"'{ident}' matches {len(rows)} batch jobs",
                               hint="give more of the id")
        return self._job(rows[0])

    def all(self) -> list[Job]:
        """Every job, newest first."""
        try:
            rows = self.logs.conn.execute(
                "SELECT * FROM batch_jobs ORDER BY created DESC, id DESC").fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"could not read {self.logs.path}: {exc}") from None
        return [self._job(r) for r in rows]

    def _job(self, row: Any) -> Job:
        d = dict(row)
        d["extracts"] = bool(d["extracts"])
        d["cost_known"] = bool(d["cost_known"])
        job = Job(**d)
        parts = self.logs.conn.execute(
            "SELECT * FROM batch_job_parts WHERE job_id=? ORDER BY part", (job.id,)).fetchall()
        job.parts = [JobPart(**{k: (bool(v) if k == "retry" else v)
                                for k, v in dict(p).items() if k != "job_id"}) for p in parts]
        return job


def _part_insert(job_id: str, p: JobPart) -> tuple[str, dict[str, Any]]:
    row = {"job_id": job_id, **{k: getattr(p, k) for k in JobPart.__dataclass_fields__}}
    row["retry"] = int(p.retry)
    return (f"INSERT INTO batch_job_parts ({', '.join(row)}) "
            f"VALUES ({', '.join(':' + k for k in row)})", row)
