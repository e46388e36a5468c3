"""Provider batch jobs: submit the request files, poll, fetch the results, cancel, resubmit.

One llmcli job is tracked as one whatever the number of provider jobs (parts) behind it; its
request files stay in the data folder (`batch-jobs/<job>/`) so failed lines can be resubmitted,
and downloaded result files are kept there too. `fetch` writes the output records to a
temporary file that then replaces `-O`, so fetching twice never duplicates a record; an input
answered by a resubmission replaces its earlier error.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.batch.jobs_build import parse_custom_id, part_path, select_lines
from llmcli.batch.outputs import make_record
from llmcli.core.errors import InvalidInput, StorageError, Unsupported
from llmcli.core.numbers import dumps

if TYPE_CHECKING:
    from llmcli.batch.jobs_build import Built
    from llmcli.batch.jobs_log import ResultLog
    from llmcli.core.batch_jobs import BatchService, RemoteJob
    from llmcli.core.provider import ModelInfo, Provider
    from llmcli.store.batch_jobs import BatchJobStore, Job

BATCH_DISCOUNT = 0.5  # OpenAI and Groq bill batch jobs at half the synchronous price
CHARS_PER_TOKEN = 4  # for the input-only estimate made before any result exists
# When parts disagree, the job shows the one that matters most to the user.
_PRECEDENCE = ("failed", "expired", "cancelled", "completed")


def service_for(provider: Provider) -> BatchService:
    """The provider's batch service, or the Unsupported error naming those that have one."""
    from llmcli.core.provider import Capability
    from llmcli.core.registry import providers_with

    if Capability.BATCH_JOBS not in provider.capabilities or not hasattr(provider,
                                                                         "batch_service"):
        others = ", ".join(providers_with(Capability.BATCH_JOBS))
        raise Unsupported(
            f"provider '{provider.name}' has no batch jobs",
            hint=f"providers that have them: {others}; without --provider-batch a "
            "synchronous batch runs any model",
        )
    return provider.batch_service()  # type: ignore[attr-defined]


def job_folder(data_dir: Path, job_id: str) -> Path:
    return data_dir / "batch-jobs" / job_id


def input_estimate(built: Built, info: ModelInfo | None) -> float | None:
    """The input tokens' cost at the batch price (output unknown until results come back)."""
    if info is None or info.price_in is None:
        return None
    return built.prompt_chars / CHARS_PER_TOKEN * info.price_in / 1_000_000 * BATCH_DISCOUNT


def submit(service: BatchService, store: BatchJobStore, job: Job, files: list[Path],
           first_part: int = 1, *, retry: bool = False) -> None:
    """Upload each request file and create its provider job; each part is recorded at once,
    so a failure half-way leaves the parts already created findable."""
    from llmcli.store.batch_jobs import JobPart

    for n, path in enumerate(files, start=first_part):
        file_id = service.upload(path)
        remote = service.create(file_id, {"llmcli_job": job.id, "part": str(n)})
        with path.open("rb") as fh:
            requests = sum(1 for _ in fh)
        part = JobPart(part=n, remote_id=remote.id, input_file_id=file_id, requests=requests,
                       status=remote.status, created_at=remote.created_at,
                       expires_at=remote.expires_at, retry=retry)
        store.add_part(job.id, part)
        job.parts.append(part)


def overall_status(statuses: list[str]) -> str:
    from llmcli.core.batch_jobs import ENDED

    running = [s for s in statuses if s not in ENDED]
    if running:
        return running[0] if len(set(running)) == 1 else "in_progress"
    return next((s for s in _PRECEDENCE if s in statuses), statuses[0] if statuses else "empty")


def refresh(service: BatchService, store: BatchJobStore, job: Job) -> Job:
    """Ask the provider where each unfinished part stands; store and return the job."""
    from llmcli.core.batch_jobs import ENDED

    for part in job.parts:
        if part.status in ENDED:
            continue
        remote = service.retrieve(part.remote_id)
        _apply(part, remote)
        store.update_part(job.id, part.part, remote)
    status = overall_status([p.status for p in job.parts])
    if status != job.status:
        store.set_status(job.id, status)
        job.status = status
    return job


def _apply(part: Any, remote: RemoteJob) -> None:
    part.status = remote.status
    part.completed, part.failed = remote.completed, remote.failed
    part.expires_at = remote.expires_at or part.expires_at
    part.output_file_id, part.error_file_id = remote.output_file_id, remote.error_file_id


def wait(service: BatchService, store: BatchJobStore, job: Job, *, interval: float,
         sleep: Callable[[float], None], progress: Callable[[Job], None]) -> Job:
    """Poll until every part has ended, reporting the request counts after each poll."""
    from llmcli.core.batch_jobs import ENDED

    while True:
        refresh(service, store, job)
        progress(job)
        if all(p.status in ENDED for p in job.parts):
            return job
        sleep(interval)


def cancel(service: BatchService, store: BatchJobStore, job: Job) -> Job:
    from llmcli.core.batch_jobs import ENDED

    for part in job.parts:
        if part.status not in ENDED:
            remote = service.cancel(part.remote_id)
            _apply(part, remote)
            store.update_part(job.id, part.part, remote)
    job.status = overall_status([p.status for p in job.parts])
    store.set_status(job.id, job.status)
    return job


@dataclass
class Fetched:
    ok: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # custom_id -> error, not answered
    pending_parts: int = 0
    cost: float | None = None
    job_errors: list[str] = field(default_factory=list)  # parts the provider refused whole


def check_dest(dest: Path, job_id: str) -> None:
    """`-O` may be replaced only when absent or holding this job's records (a fetch before)."""
    if dest.suffix.lower() == ".csv":
        raise InvalidInput("batch fetch writes JSONL", hint="give a .jsonl file with -O")
    if dest.is_dir():
        raise InvalidInput(f"output {dest} is a directory", hint="give a file name with -O")
    if not dest.exists():
        return
    with dest.open("rb") as fh:
        first = fh.readline(1 << 20)
    try:
        ours = not first.strip() or json.loads(first).get("batch") == job_id
    except (ValueError, AttributeError):
        ours = False
    if not ours:
        raise InvalidInput(f"output file {dest} exists and holds other records",
                           hint="give another -O file; a fetch replaces only its own records")


def fetch(service: BatchService, store: BatchJobStore, job: Job, folder: Path, dest: Path,
          info: ModelInfo | None, extract: Callable[[str], str | None] | None,
          log: ResultLog | None = None) -> Fetched:
    """Download the ended parts' result files and write one record per input to `dest`; each
    provider result goes to the log once (`log`), however many times the job is fetched."""
    from llmcli.core.batch_jobs import ENDED

    check_dest(dest, job.id)
    refresh(service, store, job)
    result = Fetched()
    files: list[tuple[Path, bool, int]] = []  # (downloaded file, holds errors, part)
    for part in job.parts:
        if part.status not in ENDED:
            result.pending_parts += 1
            continue
        if part.status == "failed":
            errors = service.retrieve(part.remote_id).errors
            result.job_errors.append(f"provider job {part.remote_id} failed: "
                                     f"{'; '.join(errors) or 'no reason given'}")
        for file_id, is_error in ((part.output_file_id, False), (part.error_file_id, True)):
            if not file_id:
                continue
            local = folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', file_id)}.jsonl"
            if not local.exists():
                tmp = local.with_suffix(".part")
                service.download(file_id, tmp)
                os.replace(tmp, local)
            files.append((local, is_error, part.part))
    answered: dict[str, int] = {}  # custom_id -> the latest part that answered it
    for path, is_err, part_no in files:
        if not is_err:
            for cid, _ in _results(path):
                answered[cid] = max(answered.get(cid, 0), part_no)
    schema = json.loads(job.schema) if job.schema else None
    label = f"{job.provider}:{job.model}"
    tmp_out = dest.with_name(f".{dest.name}.fetching")
    cost = 0.0
    priced = info is not None and info.price_in is not None
    written: set[str] = set()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        out = tmp_out.open("w", encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"cannot write {dest}: {exc.strerror or exc}") from None
    with out:
        for path, is_err, part_no in files:
            for cid, line in _results(path):
                rec, rec_cost = _record(line, cid, label, job, info, extract, schema)
                if log is not None:  # every provider result, even one a later part answered
                    log.add(cid, part_no, rec)
                # An answer from a later part (a resubmission: one that failed or did not
                # match --schema) wins over an earlier one.
                if cid in written or (is_err and cid in answered) or \
                        (not is_err and answered[cid] > part_no):
                    continue
                written.add(cid)
                out.write(dumps(rec, ensure_ascii=False) + "\n")
                if rec["status"] == "ok":
                    result.ok += 1
                    cost += rec_cost or 0.0
                else:
                    result.failed[cid] = rec["error"]
        # A request of an ended part with no line in any result file was never run (Gemini
        # leaves them out when a job expires or is cancelled): an error record, not silence.
        # A part the provider refused whole is reported as such (job_errors) instead.
        for part in job.parts:
            if part.status in ENDED and part.status != "failed" \
                    and part_path(folder, part.part).exists():
                for cid in _request_ids(part_path(folder, part.part)):
                    if cid in written:
                        continue
                    written.add(cid)
                    line = {"error": {"message": f"no result: the job ended {part.status} "
                                                 "before this request ran"}}
                    rec, _ = _record(line, cid, label, job, info, extract, schema)
                    out.write(dumps(rec, ensure_ascii=False) + "\n")
                    result.failed[cid] = rec["error"]
    os.replace(tmp_out, dest)
    result.cost = cost if priced else None
    store.set_cost(job.id, result.cost)
    return result


def _request_ids(path: Path) -> Iterator[str]:
    with path.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                yield str(json.loads(raw).get("custom_id"))


def _results(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                line = json.loads(raw)
                yield str(line.get("custom_id")), line


def _record(line: dict[str, Any], cid: str, label: str, job: Job, info: ModelInfo | None,
            extract: Callable[[str], str | None] | None,
            schema: dict[str, Any] | None = None) -> tuple[dict[str, Any], float | None]:
    number, ident = parse_custom_id(cid)
    response = line.get("response") or {}
    body = response.get("body") or {}
    ok = response.get("status_code") == 200 and not line.get("error")
    usage = body.get("usage") or {} if ok else {}
    tokens_in, tokens_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
    cost = None
    if ok and info is not None and info.price_in is not None:
        full = info.cost(tokens_in, tokens_out)
        cost = None if full is None else full * BATCH_DISCOUNT
    reply = ""
    error = None
    if ok:
        choices = body.get("choices") or [{}]
        reply = ((choices[0] or {}).get("message") or {}).get("content") or ""
    else:
        err = line.get("error") or body.get("error") or {}
        code = err.get("code") or response.get("status_code")
        error = f"{err.get('message') or 'failed'}" + (f" ({code})" if code else "")
    data = None
    if ok and schema is not None:  # validated as a synchronous reply is (exchange/schema.py)
        from llmcli.core.errors import SchemaMismatch
        from llmcli.exchange.schema import validate_reply

        try:
            data = validate_reply(reply, schema)
        except SchemaMismatch as exc:
            ok, error = False, exc.message
    rec = make_record(
        id=ident, model=label, status="ok" if ok else "error", reply=reply,
        answer=extract(reply) if ok and extract else None, with_answer=job.extracts,
        data=data, with_data=schema is not None,
        input_tokens=tokens_in, output_tokens=tokens_out, cost=cost, error=error,
        line=number, batch=job.id,
    )
    return rec, cost


def resubmit_failed(service: BatchService, store: BatchJobStore, job: Job, folder: Path,
                    failed: set[str]) -> int:
    """Send the failed requests again as one more part of the same job; how many were sent."""
    if not failed:
        raise InvalidInput(f"batch job {job.id} has no failed requests to resubmit")
    first = max(p.part for p in job.parts) + 1
    dest = part_path(folder, first)
    total = 0
    wanted = set(failed)
    with dest.open("wb") as out:
        for part in job.parts:
            src = part_path(folder, part.part)
            if src.exists():
                total += select_lines(src, wanted, out)
    if total == 0:
        dest.unlink()
        raise InvalidInput(f"the request files of job {job.id} are gone from {folder}",
                           hint="run the failed inputs again with a new batch")
    submit(service, store, job, [dest], first_part=first, retry=True)
    job.status = overall_status([p.status for p in job.parts])
    store.set_status(job.id, job.status)
    return total
