"""Batch benchmarks of issue 9, measured side by side against the OpenAI loopback stub.

1. throughput: `llmcli batch` over N prompts (default 200) with a stub answering each request
   in L s (default 0.25), -j J (default 16), logged and with --no-log. Reported against the
   ideal N x L / J: the process wall time, and the span the server saw (first request in to
   last reply out), which leaves out Python start-up and the one-off SDK import.
2. anchor: simonw's `llm` (own venv, default /work/llm-venv) in a shell loop, one process per
   prompt, over the first K prompts (default 20), scaled to N; and `llmcli prompt` in the same
   loop, for the per-process cost on our side. Speed-up = llm loop (scaled) / llmcli batch.
3. memory: peak RSS of the batch process (GNU time) for 1k, 100k and 300k input lines read
   with --dry-run (reading, validation, request building), and for full runs against a
   zero-latency stub with 1k vs --mem-full lines (default 10k; 100k takes ~4 min on 2 cores).

The stub's listen backlog is 128 (tests/stubs/base.py; socketserver's default of 5 drops SYNs
when 16 connections open at once, and the kernel retries them after 1 s: a stub artefact).

Run from the repository root:
    .venv/bin/python bench/bench_batch.py [--prompts 200] [--latency 0.25] [--jobs 16]
        [--runs 3] [--llm-prompts 20] [--mem-full 10000] [--only throughput,anchor,memory]
Prints one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stubs.openai_stub import OpenAIStub  # noqa: E402

PY = sys.executable
MODEL = "gpt-4o-mini"


class SlowStub(OpenAIStub):
    """Echoes the prompt after `latency` seconds."""

    def __init__(self, latency: float):
        super().__init__()
        self.latency = latency
        self.echo = True

    def default(self, route, req):
        reply = super().default(route, req)
        if route == "chat":
            reply.delay = self.latency
        return reply


def env_for(stub: OpenAIStub, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMCLI_"))}
    env.update(OPENAI_BASE_URL=stub.url, OPENAI_API_KEY=stub.expected_key or "",
               LLMCLI_HOME=str(home), NO_PROXY="127.0.0.1,localhost")
    return env


def write_prompts(path: Path, n: int) -> list[str]:
    prompts = [f"Question {i}: what is {i} plus {i}?" for i in range(n)]
    path.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in prompts), encoding="utf-8")
    return prompts


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one child process.

    The RSS comes from GNU time when it is there: a child forked straight from this process
    would report this process's own RSS as its peak (Linux keeps ru_maxrss across exec).
    """
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        cmd = [str(gnu_time), "-f", "%M", "-o", rss_file.name, *argv] if gnu_time.exists() else argv
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=ROOT)
        err = proc.stderr.read() if proc.stderr else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[:6]}... exited {proc.returncode}: {err.decode()[-800:]}")
        text = rss_file.read().strip()
    return wall, int(text.splitlines()[-1]) if text else usage.ru_maxrss


def batch_argv(src: Path, jobs: int, *extra: str) -> list[str]:
    return [PY, "-m", "llmcli", "batch", str(src), "-m", f"openai:{MODEL}", "-j", str(jobs), *extra]


def bench_throughput(n: int, latency: float, jobs: int, runs: int) -> dict:
    ideal = n * latency / jobs
    out: dict = {"prompts": n, "latency_s": latency, "jobs": jobs, "ideal_s": round(ideal, 3)}
    with SlowStub(latency) as stub, tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "prompts.jsonl"
        write_prompts(src, n)
        env = env_for(stub, Path(tmp) / "home")
        for label, extra in (("logged", ()), ("no_log", ("--no-log",))):
            walls, spans = [], []
            for r in range(runs + 1):  # the first run warms the page cache and .pyc files
                stub.reset()
                dest = Path(tmp) / f"out-{label}-{r}.jsonl"
                wall, _ = run_measured(batch_argv(src, jobs, "-O", str(dest), *extra), env)
                chat = stub.requests_for("chat")
                lines = dest.read_text(encoding="utf-8").splitlines()
                assert len(chat) == n and len(lines) == n, (len(chat), len(lines))
                assert all(json.loads(x)["status"] == "ok" for x in lines)
                span = max(q.at for q in chat) + latency - min(q.at for q in chat)
                if r:
                    walls.append(wall)
                    spans.append(span)
            wall, span = statistics.median(walls), statistics.median(spans)
            out[label] = {
                "process_wall_s": round(wall, 3),
                "server_span_s": round(span, 3),
                "wall_over_ideal": round(wall / ideal, 3),
                "span_over_ideal": round(span / ideal, 3),
            }
    return out


def bench_anchor(n: int, k: int, latency: float, jobs: int, llm: str) -> dict:
    if not Path(llm).exists():
        return {"skipped": f"{llm} not found (pip install llm into a separate venv)"}
    with SlowStub(latency) as stub, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        src = tmp_path / "prompts.jsonl"
        prompts = write_prompts(src, n)
        subset = tmp_path / "subset.txt"
        subset.write_text("".join(p + "\n" for p in prompts[:k]), encoding="utf-8")
        llm_home = tmp_path / "llm"
        llm_home.mkdir()
        (llm_home / "extra-openai-models.yaml").write_text(
            f'- model_id: stub\n  model_name: {MODEL}\n  api_base: "{stub.url}"\n'
            "  api_key_name: stub\n", encoding="utf-8")
        keys = json.dumps({"stub": stub.expected_key})
        (llm_home / "keys.json").write_text(keys, encoding="utf-8")
        env = env_for(stub, tmp_path / "home")
        env["LLM_USER_PATH"] = str(llm_home)
        # `< /dev/null`: both tools read piped stdin, which would swallow the loop's input.
        each = 'while IFS= read -r p; do {cmd} "$p" < /dev/null > /dev/null; done < "{src}"'
        loops = {
            "llm_loop": each.format(cmd=f'"{llm}" -m stub', src=subset),
            "llmcli_prompt_loop": each.format(
                cmd=f'"{PY}" -m llmcli prompt -m openai:{MODEL} --no-log', src=subset
            ),
        }
        res: dict = {"prompts_run_in_loops": k, "scaled_to": n}
        one = tmp_path / "one.txt"
        one.write_text(prompts[0] + "\n", encoding="utf-8")
        for name, script in loops.items():
            warm = script.replace(str(subset), str(one))  # page cache and .pyc files
            subprocess.run(["bash", "-c", warm], env=env, check=True, timeout=600)
            stub.reset()
            start = time.perf_counter()
            subprocess.run(["bash", "-c", script], env=env, check=True, timeout=600)
            wall = time.perf_counter() - start
            assert len(stub.requests_for("chat")) == k
            res[name] = {"wall_s": round(wall, 3), "per_prompt_s": round(wall / k, 3),
                         "scaled_wall_s": round(wall / k * n, 3)}
        stub.reset()
        wall, _ = run_measured(batch_argv(src, jobs, "-O", str(tmp_path / "o.jsonl")), env)
        res["llmcli_batch"] = {"wall_s": round(wall, 3), "jobs": jobs}
        res["speedup_vs_llm_loop"] = round(res["llm_loop"]["scaled_wall_s"] / wall, 1)
        scaled = res["llmcli_prompt_loop"]["scaled_wall_s"]
        res["speedup_vs_llmcli_prompt_loop"] = round(scaled / wall, 1)
        version = subprocess.run([llm, "--version"], capture_output=True, text=True).stdout.strip()
        res["llm_version"] = version
    return res


def bench_memory(full_big: int, jobs: int) -> dict:
    res: dict = {}
    with OpenAIStub() as stub, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = env_for(stub, tmp_path / "home")
        stub.echo = True
        files = {}
        for n in sorted({1000, 100_000, 300_000, full_big}):
            files[n] = tmp_path / f"in-{n}.jsonl"
            write_prompts(files[n], n)
        dry = {}
        for n in (1000, 100_000, 300_000):
            wall, rss = run_measured(batch_argv(files[n], jobs, "--dry-run"), env)
            dry[str(n)] = {"peak_rss_mib": round(rss / 1024, 1), "wall_s": round(wall, 2)}
        dry["growth_mib"] = round(dry["100000"]["peak_rss_mib"] - dry["1000"]["peak_rss_mib"], 1)
        res["dry_run"] = dry
        full = {}
        for n in (1000, full_big):
            stub.reset()
            dest = tmp_path / f"out-{n}.jsonl"
            wall, rss = run_measured(batch_argv(files[n], jobs, "--no-log", "-O", str(dest)), env)
            assert dest.read_bytes().count(b"\n") == n
            full[str(n)] = {"peak_rss_mib": round(rss / 1024, 1), "wall_s": round(wall, 2),
                            "requests_per_s": round(n / wall)}
            stub.requests.clear()
        big, small = full[str(full_big)]["peak_rss_mib"], full["1000"]["peak_rss_mib"]
        full["growth_mib"] = round(big - small, 1)
        res["full_run_zero_latency"] = full
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.25)
    ap.add_argument("--jobs", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--llm-prompts", type=int, default=20)
    ap.add_argument("--llm", default="/work/llm-venv/bin/llm")
    ap.add_argument("--mem-full", type=int, default=10_000)
    ap.add_argument("--only", default="throughput,anchor,memory")
    args = ap.parse_args()
    only = set(args.only.split(","))
    result: dict = {}
    if "throughput" in only:
        result["throughput"] = bench_throughput(args.prompts, args.latency, args.jobs, args.runs)
    if "anchor" in only:
        result["anchor"] = bench_anchor(args.prompts, args.llm_prompts, args.latency, args.jobs,
                                        args.llm)
    if "memory" in only:
        result["memory"] = bench_memory(args.mem_full, args.jobs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
