"""What the llama.cpp guard costs: decode and prompt speed with and without the AMX workaround
(`use_extra_bufts = False`), and the probe child (cold) vs a cached verdict. Prints JSON.

    .venv/bin/python bench/bench_llamacpp_guard.py [--rounds 3] [--decode-tokens 64]

Each engine configuration runs in its own fresh process, alternating in rounds (this VM's speed
drifts minute to minute; interleaving keeps the ratio fair); medians are reported. On a CPU
without AMX the workaround is forced (amx=True) to measure what it costs there; on an AMX CPU
the default already applies it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGINE = """
import json, time, sys
import numpy as np
from llmcli.local.llamacpp_backend import LlamaCppModel
m = LlamaCppModel({path!r}, n_ctx=1024, amx={amx})
ids = m.tokenize({text!r})[:128]
s = m.new_session()
t = time.perf_counter(); logits = s.feed(ids); prompt = time.perf_counter() - t
t = time.perf_counter()
for _ in range({n}):
    logits = s.feed([int(np.argmax(logits))])
decode = time.perf_counter() - t
print(json.dumps({{"prompt_tok_s": len(ids) / prompt, "decode_tok_s": {n} / decode,
                   "extra_bufts": bool(m.llm.model_params.use_extra_bufts)}}))
"""
TEXT = ("The history of the printing press begins in the fifteenth century, when Johannes "
        "Gutenberg combined movable metal type, oil-based ink and a wooden screw press. ") * 8


def child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=900, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--decode-tokens", type=int, default=64)
    args = ap.parse_args()
    from llmcli.config import Paths
    from llmcli.local.files import ensure_default_model
    from llmcli.local.llamacpp_guard import Verdicts, cpu_flags, cpu_name, has_amx

    path = str(ensure_default_model(Paths.from_env().cache_dir))
    runs: dict[str, list[dict]] = {"default": [], "workaround": []}
    for _ in range(args.rounds):
        for name, amx in (("default", "None"), ("workaround", "True")):
            code = ENGINE.format(path=path, amx=amx, text=TEXT, n=args.decode_tokens)
            runs[name].append(child(code))
    probe = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            ok = Verdicts(Path(tmp)).check(Path(path)).ok
            cold = time.perf_counter() - t
            t = time.perf_counter()
            Verdicts(Path(tmp)).check(Path(path))
            probe.append({"ok": ok, "cold_s": cold, "cached_s": time.perf_counter() - t})

    def med(name: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[name]), 1)

    result = {
        "cpu": cpu_name(),
        "amx": has_amx(),
        "avx512": sorted(f for f in cpu_flags() if f.startswith(("avx512", "amx"))),
        "default_extra_bufts": runs["default"][0]["extra_bufts"],
        "decode_tok_s": {"default": med("default", "decode_tok_s"),
                         "workaround": med("workaround", "decode_tok_s")},
        "prompt_tok_s": {"default": med("default", "prompt_tok_s"),
                         "workaround": med("workaround", "prompt_tok_s")},
        "probe_cold_s": round(statistics.median(p["cold_s"] for p in probe), 3),
        "verdict_cached_ms": round(1000 * statistics.median(p["cached_s"] for p in probe), 2),
        "probe_ok": all(p["ok"] for p in probe),
    }
    result["decode_ratio_workaround"] = round(
        result["decode_tok_s"]["workaround"] / result["decode_tok_s"]["default"], 2)
    result["prompt_ratio_workaround"] = round(
        result["prompt_tok_s"]["workaround"] / result["prompt_tok_s"]["default"], 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
