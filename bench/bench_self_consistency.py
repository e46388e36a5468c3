"""Self-consistency's samples at once (#15): `llmcli prompt -t self-consistency --samples 5`
against a loopback OpenAI-compatible server whose every answer takes 1.0 s, with the
provider's concurrency at 1 (one sample after another, as before) and at the default 4.
Interleaved runs, end to end (process start-up included in both figures).

    .venv/bin/python bench/bench_self_consistency.py [--runs 3]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_compare import ANSWER_S, TimedStub  # noqa: E402
from common import VENV_BIN, interleaved, isolated_env  # noqa: E402

SAMPLES = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TimedStub() as stub:
        stub.reply_text = "12 + 7 = 19.\nAnswer: 19"
        envs = {}
        for jobs in (1, 4):
            home = Path(tmp) / f"jobs{jobs}"
            (home / "config").mkdir(parents=True)
            (home / "config" / "config.toml").write_text(
                f"[providers.openai]\nconcurrency = {jobs}\n", encoding="utf-8")
            envs[jobs] = isolated_env(home, OPENAI_BASE_URL=stub.url,
                                      OPENAI_API_KEY=stub.expected_key or "",
                                      NO_PROXY="127.0.0.1,localhost")
        argv = [str(VENV_BIN / "llmcli"), "prompt", "-t", "self-consistency", "--samples",
                str(SAMPLES), "-m", "openai:gpt-4o-mini", "12 + 7?"]
        # one command per concurrency, each with its own home (its config), round-robin
        commands = {f"concurrency {j}": ["/usr/bin/env", *(f"{k}={v}" for k, v in envs[j].items()
                                                          if k.startswith(("LLMCLI_", "OPENAI_"))),
                                         *argv] for j in envs}
        times = interleaved(commands, args.runs, env=envs[1])
    seq, conc = times["concurrency 1"]["median_s"], times["concurrency 4"]["median_s"]
    print(json.dumps({
        "answer_s": ANSWER_S, "samples": SAMPLES,
        "times": {k: {m: round(v, 3) for m, v in t.items()} for k, t in times.items()},
        "ratio_sequential_vs_concurrent": round(seq / conc, 2),
        "lower_bound_concurrent_s": 2 * ANSWER_S,  # 5 samples, 4 at once: two rounds
    }, indent=2))


if __name__ == "__main__":
    main()
