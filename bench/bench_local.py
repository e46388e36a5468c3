"""The local model's engines side by side: numpy, llama.cpp through llmcli, llama.cpp's own
llama-bench; plus start-up and memory of a chat turn. Prints one JSON object.

    .venv/bin/python bench/bench_local.py [--prompt-tokens 128] [--decode-tokens 64] [--runs 3]

Every part runs in its own process (one part's memory never inflates another's peak RSS), with
the same prompt and the same thread count (all cores), in one run:

- bandwidth: read bandwidth of this machine (bench_local_numpy.bandwidth: a 1 GB float32
  matrix-vector product and sum). The numpy engine reads every weight once per token, so
  bandwidth / weight bytes bounds its decode speed.
- engines: prompt tokens/s (one prefill of --prompt-tokens) and decode tokens/s (greedy, the
  logits read and argmax taken in Python each step: "feed"; and through llmcli's generate loop
  and sampler: "generate"), best of --runs, for `numpy` and `llamacpp`.
- llama_bench: llama.cpp's own `llama-bench` on the same file, -p/-n/-t alike. Found through
  $LLAMA_BENCH, PATH, or ~/.cache/llmcli-bench/llama-bench (bench/build_llama_bench.sh builds it
  from the llama-cpp-python source release; the wheel does not ship it).
- startup: first use (GGUF -> weight cache conversion, into an empty cache dir) and later
  starts: process start to the first streamed token of a chat turn, per engine.
- rss: peak resident memory of a process that runs one chat turn, per engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROMPT_TEXT = (
    "The history of the printing press begins in the fifteenth century, when Johannes "
    "Gutenberg combined movable metal type, oil-based ink and a wooden screw press. "
)


def _child(code: str, timeout: float = 900) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line last."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def model_path(cache: Path) -> Path:
    from llmcli.local.files import ensure_default_model

    return ensure_default_model(cache)


ENGINE_CODE = """
import json, os, time, numpy as np
from llmcli.local.tokenizer import Tokenizer
from llmcli.local.generate import generate
from llmcli.local.sampling import Sampler, SamplingParams
path, cache, engine = {path!r}, {cache!r}, {engine!r}
P, N, RUNS = {prompt_tokens}, {decode_tokens}, {runs}
tok = Tokenizer.from_gguf(path)
ids = tok.encode({text!r} * 50)[:P]
if engine == "numpy":
    from llmcli.local.model import LocalModel
    model = LocalModel.load(path, cache)
    new = lambda: model.new_session(4096)
    bytes_per_token = model.weights.nbytes
else:
    from llmcli.local.llamacpp_backend import LlamaCppModel
    model = LlamaCppModel(path, n_ctx=4096)
    new = model.new_session
    bytes_per_token = None
prefill, feed, gen = [], [], []
for _ in range(RUNS + 1):  # the first round warms caches and is dropped
    s = new()
    t = time.perf_counter(); logits = s.feed(ids); prefill.append(time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(N):
        logits = s.feed([int(np.argmax(logits))])
    feed.append(time.perf_counter() - t)
    s = new()
    s.feed(ids)
    sampler = Sampler(SamplingParams(temperature=0))
    t = time.perf_counter()
    out = [x.id for x in generate(s, [], sampler, N)]
    gen.append(time.perf_counter() - t)
prefill, feed, gen = prefill[1:], feed[1:], gen[1:]
print(json.dumps({{
    "engine": engine, "threads": os.cpu_count(), "prompt_tokens": P, "decode_tokens": N,
    "prompt_tok_s": P / min(prefill), "decode_tok_s_feed": N / min(feed),
    "decode_tok_s_generate": (N - 1) / min(gen), "weight_bytes": bytes_per_token,
    "sample": tok.decode(out, special=False)[:60],
}}))
"""

CHAT_CODE = """
import json, resource, sys, time
t0 = time.perf_counter()
from llmcli.core.events import TextDelta
from llmcli.core.messages import ChatRequest, Message
from llmcli.core.options import validate_options
from llmcli.core.provider import ProviderSettings
from llmcli.providers.local import LocalOptions, LocalProvider
provider = LocalProvider(ProviderSettings(name="local", extra={{"cache_dir": {cache!r}}}))
options = validate_options({{"engine": {engine!r}, "seed": 1, "max_tokens": 32}}, LocalOptions)
request = ChatRequest(model="gemma-3-270m", options=options,
                      messages=[Message(role="user", content="What is the capital of France?")])
first, first_at, text = None, None, []
for event in provider.chat(request):
    if isinstance(event, TextDelta):
        if first is None:
            first, first_at = time.perf_counter() - t0, time.time()
        text.append(event.text)
print(json.dumps({{"first_token_in_process_s": first, "first_token_at": first_at,
                   "reply": "".join(text),
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

CONVERT_CODE = """
import json, time
from llmcli.local.model import LocalModel
calls = []
t = time.perf_counter()
LocalModel.load({path!r}, {cache!r}, lambda stage, f: calls.append((stage, f)))
print(json.dumps({{"conversion_s": time.perf_counter() - t, "progress_calls": len(calls),
                   "stages": sorted({{s for s, _ in calls}})}}))
"""


def find_llama_bench() -> str | None:
    for candidate in (os.environ.get("LLAMA_BENCH"), shutil.which("llama-bench"),
                      str(Path.home() / ".cache" / "llmcli-bench" / "llama-bench")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def llama_bench(path: Path, prompt_tokens: int, decode_tokens: int, runs: int) -> dict:
    exe = find_llama_bench()
    if exe is None:
        return {"available": False,
                "why": "llama-bench not found: run bench/build_llama_bench.sh or set LLAMA_BENCH"}
    argv = [exe, "-m", str(path), "-p", str(prompt_tokens), "-n", str(decode_tokens),
            "-t", str(os.cpu_count()), "-r", str(runs), "-o", "json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        return {"available": False, "why": proc.stderr[-500:]}
    rows = json.loads(proc.stdout)
    out = {"available": True, "binary": exe, "threads": os.cpu_count(),
           "build": rows[0].get("build_commit")}
    for row in rows:
        key = "prompt_tok_s" if row["n_prompt"] else "decode_tok_s"
        out[key] = row["avg_ts"]
        out[key.replace("_s", "_s_stddev")] = row["stddev_ts"]
    return out


def startup(path: Path, cache: Path, runs: int) -> dict:
    """First use (conversion into an empty cache) and later process-start-to-first-token."""
    from llmcli.local import llamacpp_backend

    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="llmcli-bench-cache-") as fresh:
        out["first_use"] = _child(CONVERT_CODE.format(path=str(path), cache=fresh))
    engines = ["numpy"] + (["llamacpp"] if llamacpp_backend.available() else [])
    for engine in engines:
        code = CHAT_CODE.format(cache=str(cache), engine=engine)
        _child(code)  # the weight cache and page cache warm
        starts, rows = [], []
        for _ in range(runs):
            starts.append(time.time())
            rows.append(_child(code))
        to_first = [row["first_token_at"] - t for row, t in zip(rows, starts, strict=True)]
        best = min(range(runs), key=lambda i: to_first[i])
        out[engine] = {
            "process_start_to_first_token_s": to_first[best],
            "in_process_to_first_token_s": rows[best]["first_token_in_process_s"],
            "peak_rss_mb_chat_turn": max(r["peak_rss_mb"] for r in rows),
            "reply": rows[best]["reply"],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[],
                        help="parts to skip: bandwidth, numpy, llamacpp, llama_bench, startup")
    args = parser.parse_args()

    from llmcli.config import Paths
    from llmcli.local import llamacpp_backend

    cache = Paths.from_env().cache_dir
    path = model_path(cache)
    result: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_start": os.getloadavg()},
                    "model": str(path)}
    if "bandwidth" not in args.skip:
        result["bandwidth"] = _child(
            "import json, sys; sys.path.insert(0, 'bench'); from bench_local_numpy import "
            "bandwidth; print(json.dumps(bandwidth()))")
    params = dict(path=str(path), cache=str(cache), prompt_tokens=args.prompt_tokens,
                  decode_tokens=args.decode_tokens, runs=1, text=PROMPT_TEXT)
    engines = ["numpy"] + (["llamacpp"] if llamacpp_backend.available() else [])
    engines = [e for e in engines if e not in args.skip]
    # Rounds, each running every engine once: a burst of load from other processes on this
    # shared machine then hits all of them alike; the best round of each is reported.
    rounds: dict[str, list[dict]] = {e: [] for e in [*engines, "llama_bench"]}
    for _ in range(args.runs):
        for engine in engines:
            rounds[engine].append(_child(ENGINE_CODE.format(engine=engine, **params)))
        if "llama_bench" not in args.skip:
            rounds["llama_bench"].append(
                llama_bench(path, args.prompt_tokens, args.decode_tokens, runs=1))
    for name, rows in rounds.items():
        if rows:
            result[name] = best_of(rows)
    if "startup" not in args.skip:
        result["startup"] = startup(path, cache, args.runs)
    result["summary"] = summarize(result)
    result["machine"]["load_avg_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


def best_of(rows: list[dict]) -> dict:
    """The first row, with every speed replaced by its best over the rounds (and all kept)."""
    out = dict(rows[0])
    for key, value in rows[0].items():
        if "tok_s" in key and isinstance(value, float) and not key.endswith("stddev"):
            values = [row[key] for row in rows]
            out[key] = max(values)
            out[key + "_rounds"] = [round(v, 1) for v in values]
    return out


def summarize(r: dict) -> dict:
    s: dict = {}
    bw = r.get("bandwidth")
    if bw and r.get("numpy", {}).get("weight_bytes"):
        best = max(v for k, v in bw.items() if k.endswith("_gb_s"))
        bound = best * 1e9 / r["numpy"]["weight_bytes"]
        s["numpy_decode_bound_tok_s"] = bound
        s["numpy_decode_vs_bound"] = r["numpy"]["decode_tok_s_feed"] / bound
    lb = r.get("llama_bench", {})
    if lb.get("available") and "llamacpp" in r:
        decode = lb["decode_tok_s"]
        s["llamacpp_vs_llama_bench_decode"] = r["llamacpp"]["decode_tok_s_feed"] / decode
        s["llamacpp_generate_vs_llama_bench_decode"] = (
            r["llamacpp"]["decode_tok_s_generate"] / lb["decode_tok_s"])
        s["llamacpp_vs_llama_bench_prompt"] = r["llamacpp"]["prompt_tok_s"] / lb["prompt_tok_s"]
    return s


if __name__ == "__main__":
    main()
