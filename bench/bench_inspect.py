"""Inspection benchmarks, side by side in one run:

1. Tokenize throughput on a 10 MB text (Python standard-library sources interleaved with the
   Portuguese study notes in shared/seeds, so code, English, accents and emoji all occur):
   our SentencePiece tokenizer (a fresh instance: its chunk cache starts empty) beside tiktoken
   o200k_base and cl100k_base on the same text, in MB/s; then the whole command
   `llmcli tokenize -m local --json --limit 0 < 10MB` (target: under 60 s).
2. `llmcli inspect attention` on a 64-token sentence once the converted model is cached
   (target: under 3 s end to end, process start included), with the library-level split:
   model load, trace, view.

    .venv/bin/python bench/bench_inspect.py [--mb 10] [--runs 3]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import shared_cache_dir  # noqa: E402

PARAGRAPH = (
    "O gato subiu no telhado porque viu um pássaro, e o pássaro, assustado, voou para a "
    "árvore mais alta do jardim enquanto o cachorro latia lá embaixo sem entender nada. "
    "A menina, que lia um livro na varanda, levantou os olhos, sorriu e voltou à página "
    "onde o herói finalmente encontrava o mapa do tesouro escondido."
)
# Commands may not be registered in app.py yet while the module is new: import them here.
RUNNER = ("import sys, llmcli.cli.tokens, llmcli.cli.inspect; "
          "from llmcli.__main__ import main; main(sys.argv[1:])")


def corpus(megabytes: float) -> str:
    """A deterministic mixed text of about `megabytes` MB."""
    target = int(megabytes * 1_000_000)
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT.parent / "shared" / "seeds")
                                                           .glob("*.txt"))]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts, size, k = [], 0, 0
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        parts.append(text)
        size += len(text.encode())
        if seeds and k % 4 == 0:
            parts.append(seeds[(k // 4) % len(seeds)])
            size += len(parts[-1].encode())
        k += 1
        if size >= target:
            break
    data = "".join(parts).encode("utf-8")[:target]
    return data.decode("utf-8", "ignore")


def throughput(name: str, fn, text: str, runs: int) -> dict:
    mb = len(text.encode("utf-8")) / 1e6
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        count = fn(text)
        times.append(time.perf_counter() - start)
    best = min(times)
    return {"tokenizer": name, "tokens": count, "mb": round(mb, 2), "best_s": round(best, 3),
            "median_s": round(statistics.median(times), 3), "mb_per_s": round(mb / best, 2)}


def tokenize_figures(text: str, runs: int, cache: Path) -> list[dict]:
    from llmcli.inspect import tokens as tk
    from llmcli.local.files import ensure_default_model
    from llmcli.local.gguf_cache import open_model_cache
    from llmcli.local.tokenizer import Tokenizer

    metadata = open_model_cache(ensure_default_model(cache), cache).metadata
    o200k = tk.tiktoken_encoding("o200k_base", cache)
    cl100k = tk.tiktoken_encoding("cl100k_base", cache)

    def local(t: str) -> int:
        backend = tk.LocalBackend(Tokenizer.from_metadata(metadata))  # cold chunk cache
        return sum(len(ids) for ids in backend.encode_stream(tk.iter_string(t)))

    def streamed(enc):
        return lambda t: sum(len(i) for i in tk.TiktokenBackend(enc).encode_stream(
            tk.iter_string(t)))

    return [
        throughput("local SentencePiece (ours, streamed)", local, text, runs),
        throughput("tiktoken o200k_base (streamed as llmcli does)", streamed(o200k), text, runs),
        throughput("tiktoken o200k_base (encode_ordinary, whole)",
                   lambda t: len(o200k.encode_ordinary(t)), text, runs),
        throughput("tiktoken cl100k_base (encode_ordinary, whole)",
                   lambda t: len(cl100k.encode_ordinary(t)), text, runs),
    ]


def run_cli(args: list[str], env: dict[str, str], stdin: bytes = b"") -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, *args], input=stdin,
                          capture_output=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} exited {proc.returncode}: {proc.stderr.decode()[-400:]}")
    return elapsed, proc.stdout.decode("utf-8")


def sentence_of(tok, n: int) -> str:
    """A prefix of PARAGRAPH that is exactly `n` tokens with <bos>."""
    ids = tok.encode(PARAGRAPH, add_bos=False)
    for k in range(n - 1, 0, -1):
        text = tok.decode(ids[:k])
        if len(tok.encode(text)) == n:
            return text
    raise RuntimeError(f"no prefix of the paragraph is {n} tokens")


def attention_figures(env: dict[str, str], runs: int, cache: Path) -> dict:
    from llmcli.inspect.attention import attention_map
    from llmcli.inspect.trace_data import trace_text
    from llmcli.local.files import ensure_default_model
    from llmcli.local.model import LocalModel
    from llmcli.local.tokenizer import Tokenizer

    start = time.perf_counter()
    model = LocalModel.load(ensure_default_model(cache), cache)
    tok = Tokenizer.from_metadata(model.metadata)
    load = time.perf_counter() - start
    sentence = sentence_of(tok, 64)
    n = len(tok.encode(sentence))
    traces, views = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        trace = trace_text(model, tok, sentence)
        t1 = time.perf_counter()
        attention_map("local", trace, 5)
        views.append(time.perf_counter() - t1)
        traces.append(t1 - t0)
    cli = [run_cli(["inspect", "attention", sentence, "--layer", "5"], env)[0]
           for _ in range(runs + 1)][1:]  # the first run warms the page cache
    cli_json = [run_cli(["inspect", "attention", sentence, "--layer", "5", "--json"], env)[0]
                for _ in range(runs)]
    return {
        "tokens": n,
        "library": {"load_s": round(load, 3), "trace_median_s": round(statistics.median(traces), 3),
                    "view_median_s": round(statistics.median(views), 3)},
        "cli_render_median_s": round(statistics.median(cli), 3),
        "cli_render_max_s": round(max(cli), 3),
        "cli_json_median_s": round(statistics.median(cli_json), 3),
        "target_s": 3.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cache = shared_cache_dir()
    home = Path(os.environ.get("TMPDIR", "/tmp")) / f"llmcli-bench-inspect-{os.getpid()}"
    env = {**os.environ, "LLMCLI_HOME": str(home), "LLMCLI_CACHE_DIR": str(cache),
           "COLUMNS": "120"}
    text = corpus(args.mb)
    out: dict = {"machine": {"cpus": os.cpu_count()}, "text_mb": round(len(text.encode()) / 1e6, 2)}
    out["tokenize"] = tokenize_figures(text, args.runs, cache)
    wall, printed = run_cli(["tokenize", "-m", "local", "--json", "--limit", "0"], env,
                            stdin=text.encode("utf-8"))
    view = json.loads(printed)["views"][0]
    out["tokenize_cli_local_10mb"] = {"wall_s": round(wall, 2), "tokens": view["count"],
                                      "mb_per_s": round(len(text.encode()) / 1e6 / wall, 2),
                                      "target_s": 60}
    wall, printed = run_cli(["tokenize", "-m", "o200k_base", "--json", "--limit", "0"], env,
                            stdin=text.encode("utf-8"))
    out["tokenize_cli_o200k_10mb"] = {"wall_s": round(wall, 2),
                                      "tokens": json.loads(printed)["views"][0]["count"]}
    out["attention_64_tokens"] = attention_figures(env, args.runs, cache)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
