"""Provider benchmarks of issue 4, measured side by side against the loopback stubs.

1. overhead: `llmcli prompt` (logged, and with --no-log) vs a bare script making the same
   streaming SDK call, for each provider; median wall time of N interleaved runs.
2. stream: a 20,000-chunk zero-latency stream, piped and under a pty (rendered and --plain);
   chunk rate = chunks / (time from the request reaching the stub to the end of the child's
   output), so process start-up and imports are left out and both sides compare on the stream
   itself (for llmcli this still includes writing the log row and exiting).
3. anchor: simonw's `llm` (in its own venv, default /work/llm-venv) vs `llmcli prompt`, both
   piped, against the same OpenAI-compatible stub; ratio of median wall times.

Run from the repository root:
    .venv/bin/python bench/bench_providers.py [--runs 10] [--stream-runs 3] [--chunks 20000]
        [--only overhead,stream,anchor] [--providers openai,groq,gemini] [--llm PATH]
Prints one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stubs.gemini_stub import GeminiStub  # noqa: E402
from tests.stubs.groq_stub import GroqStub  # noqa: E402
from tests.stubs.openai_stub import OpenAIStub  # noqa: E402

PY = sys.executable
LLMCLI = str(Path(PY).with_name("llmcli"))
PROMPT = "Say hello."

MODELS = {"openai": "gpt-4o-mini", "groq": "llama-3.1-8b-instant", "gemini": "gemini-2.5-flash"}
STUBS = {"openai": OpenAIStub, "groq": GroqStub, "gemini": GeminiStub}

# The bare scripts: import the SDK, make the same streaming call, print each piece as it comes.
BARE = {
    "openai": """
import sys, openai
c = openai.OpenAI(max_retries=0)
msgs = [{"role": "user", "content": sys.argv[2]}]
s = c.chat.completions.create(model=sys.argv[1], messages=msgs,
                              stream=True, stream_options={"include_usage": True})
for ch in s:
    if ch.choices and ch.choices[0].delta.content:
        sys.stdout.write(ch.choices[0].delta.content); sys.stdout.flush()
""",
    "groq": """
import sys, groq
c = groq.Groq(max_retries=0)
msgs = [{"role": "user", "content": sys.argv[2]}]
s = c.chat.completions.create(model=sys.argv[1], messages=msgs,
                              stream=True)
for ch in s:
    if ch.choices and ch.choices[0].delta.content:
        sys.stdout.write(ch.choices[0].delta.content); sys.stdout.flush()
""",
    "gemini": """
import sys
from google import genai
c = genai.Client()
for ch in c.models.generate_content_stream(model=sys.argv[1], contents=sys.argv[2]):
    for p in ch.candidates[0].content.parts if ch.candidates and ch.candidates[0].content else []:
        if p.text and not p.thought:
            sys.stdout.write(p.text); sys.stdout.flush()
""",
}


def stub_env(name: str, stub, home: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "GROQ_", "GEMINI_", "GOOGLE_", "LLMCLI_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(LLMCLI_HOME=home, NO_PROXY="127.0.0.1,localhost", NO_COLOR="1")
    if name == "openai":
        env.update(OPENAI_BASE_URL=stub.url, OPENAI_API_KEY=stub.expected_key)
    elif name == "groq":
        env.update(GROQ_BASE_URL=stub.url, GROQ_API_KEY=stub.expected_key)
    else:
        env.update(GOOGLE_GEMINI_BASE_URL=stub.url, GEMINI_API_KEY=stub.expected_key)
    return env


def bare_cmd(name: str) -> list[str]:
    return [PY, "-c", BARE[name], MODELS[name], PROMPT]


def llmcli_cmd(name: str, *extra: str) -> list[str]:
    return [LLMCLI, "prompt", "-m", f"{name}:{MODELS[name]}", PROMPT, *extra]


def timed_pipe(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time of a run with stdout piped, when its output ended (monotonic), its CPU time."""
    t0 = time.perf_counter()
    p = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert p.stdout is not None and p.stderr is not None
    while os.read(p.stdout.fileno(), 65536):
        pass
    end = time.monotonic()
    err = p.stderr.read()
    return _reap(p, t0, end, cmd, err)


def _reap(p: subprocess.Popen, t0: float, end: float, cmd: list[str], err: bytes) -> tuple:
    # wait4 gives the child's own CPU time: on a shared machine it is steadier than wall time.
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({p.returncode}): {err.decode()[-400:]}")
    return dt, end, usage.ru_utime + usage.ru_stime


def timed_pty(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time of a run whose stdout is a terminal (100x40), draining the terminal as it goes."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    env = {**env, "COLUMNS": "100", "LINES": "40", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    t0 = time.perf_counter()
    p = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE
    )
    os.close(slave)
    while True:
        try:
            if not os.read(master, 65536):
                break
        except OSError:  # EIO: the child closed the terminal
            break
    end = time.monotonic()
    os.close(master)
    err = p.stderr.read() if p.stderr else b""
    return _reap(p, t0, end, cmd, err)


def median_times(variants: dict[str, tuple], runs: int) -> dict[str, float]:
    """Interleave the variants run by run, so machine noise hits them alike.

    Gives the median wall time of each (`<name>`) and its median CPU time (`<name>_cpu`).
    """
    walls: dict[str, list[float]] = {k: [] for k in variants}
    cpus: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(runs):
        for key, (fn, cmd, env) in variants.items():
            wall, _end, cpu = fn(cmd, env)
            walls[key].append(wall)
            cpus[key].append(cpu)
    out = {k: round(statistics.median(v), 4) for k, v in walls.items()}
    out.update({f"{k}_cpu": round(statistics.median(v), 4) for k, v in cpus.items()})
    return out


def bench_overhead(providers: list[str], runs: int) -> dict:
    out = {}
    for name in providers:
        with STUBS[name]() as stub, tempfile.TemporaryDirectory() as home:
            env = stub_env(name, stub, home)
            med = median_times(
                {
                    "bare_sdk_s": (timed_pipe, bare_cmd(name), env),
                    "llmcli_s": (timed_pipe, llmcli_cmd(name), env),
                    "llmcli_no_log_s": (timed_pipe, llmcli_cmd(name, "--no-log"), env),
                },
                runs,
            )
            med["added_s"] = round(med["llmcli_s"] - med["bare_sdk_s"], 4)
            med["added_no_log_s"] = round(med["llmcli_no_log_s"] - med["bare_sdk_s"], 4)
            med["added_cpu_s"] = round(med["llmcli_s_cpu"] - med["bare_sdk_s_cpu"], 4)
            out[name] = med
    return out


def bench_stream(providers: list[str], runs: int, chunks: int) -> dict:
    out = {}
    modes = {
        "piped": (timed_pipe, ()),
        "pty": (timed_pty, ()),
        "pty_plain": (timed_pty, ("--plain",)),
    }
    for name in providers:
        with STUBS[name]() as stub, tempfile.TemporaryDirectory() as home:
            env = stub_env(name, stub, home)
            stub.chunks = ["tok "] * chunks
            res: dict[str, dict] = {}
            for mode, (fn, extra) in modes.items():
                walls: dict[str, list[float]] = {"bare": [], "llmcli": []}
                streams: dict[str, list[float]] = {"bare": [], "llmcli": []}
                for _ in range(runs):
                    for who, cmd in (
                        ("bare", bare_cmd(name)),
                        ("llmcli", llmcli_cmd(name, *extra)),
                    ):
                        wall, end, _cpu = fn(cmd, env)
                        walls[who].append(wall)
                        streams[who].append(end - stub.requests[-1].at)
                rates = {w: round(chunks / statistics.median(v)) for w, v in streams.items()}
                res[mode] = {
                    "wall_s": {w: round(statistics.median(v), 3) for w, v in walls.items()},
                    "stream_s": {w: round(statistics.median(v), 3) for w, v in streams.items()},
                    "chunks_per_s": rates,
                    "ratio_llmcli_to_bare": round(rates["llmcli"] / rates["bare"], 3),
                }
            out[name] = res
    return out


def bench_anchor(runs: int, llm: str) -> dict:
    if not Path(llm).exists():
        return {"skipped": f"{llm} not found (pip install llm into a separate venv)"}
    with OpenAIStub() as stub, tempfile.TemporaryDirectory() as home:
        llm_home = Path(home) / "llm"
        llm_home.mkdir()
        (llm_home / "extra-openai-models.yaml").write_text(
            f'- model_id: stub\n  model_name: gpt-4o-mini\n  api_base: "{stub.url}"\n'
            "  api_key_name: stub\n",
            encoding="utf-8",
        )
        (llm_home / "keys.json").write_text(
            json.dumps({"stub": stub.expected_key}), encoding="utf-8"
        )
        env = stub_env("openai", stub, str(Path(home) / "llmcli"))
        env["LLM_USER_PATH"] = str(llm_home)
        med = median_times(
            {
                "llm_s": (timed_pipe, [llm, "-m", "stub", PROMPT], env),
                "llmcli_s": (timed_pipe, llmcli_cmd("openai"), env),
            },
            runs,
        )
        version = subprocess.run([llm, "--version"], capture_output=True, text=True).stdout.strip()
    med["ratio_llmcli_to_llm"] = round(med["llmcli_s"] / med["llm_s"], 3)
    med["ratio_cpu_llmcli_to_llm"] = round(med["llmcli_s_cpu"] / med["llm_s_cpu"], 3)
    med["llm_version"] = version
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--stream-runs", type=int, default=3)
    ap.add_argument("--chunks", type=int, default=20000)
    ap.add_argument("--only", default="overhead,stream,anchor")
    ap.add_argument("--providers", default="openai,groq,gemini")
    ap.add_argument("--llm", default="/work/llm-venv/bin/llm")
    args = ap.parse_args()
    only = set(args.only.split(","))
    providers = [p for p in args.providers.split(",") if p]
    result: dict = {
        "runs": args.runs,
        "stream_runs": args.stream_runs,
        "chunks": args.chunks,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    result["load_average_before"] = os.getloadavg()
    if "overhead" in only:
        result["overhead"] = bench_overhead(providers, args.runs)
    if "stream" in only:
        result["stream"] = bench_stream(providers, args.stream_runs, args.chunks)
    if "anchor" in only:
        result["anchor"] = bench_anchor(args.runs, args.llm)
    result["load_average_after"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
