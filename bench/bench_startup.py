"""Start-up: median wall time of `llmcli --help` / `--version` beside `python -c pass` and
simonw's `llm --help`, interleaved in one run.

    .venv/bin/python bench/bench_startup.py [--runs 10] [--llm /work/llm-venv/bin/llm]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, interleaved, isolated_env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--llm", default=shutil.which("llm") or "/work/llm-venv/bin/llm")
    args = ap.parse_args()
    llmcli = str(VENV_BIN / "llmcli")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "llmcli --version": [llmcli, "--version"],
        "llmcli --help": [llmcli, "--help"],
        "llmcli prompt --help": [llmcli, "prompt", "--help"],
    }
    if Path(args.llm).exists():
        commands["llm --help"] = [args.llm, "--help"]
    with tempfile.TemporaryDirectory() as home:
        result = interleaved(commands, args.runs, env=isolated_env(Path(home)))
    out = {"results": result}
    if "llm --help" in result:
        anchor = result["llm --help"]["median_s"]
        out["ratio_to_llm"] = {k: round(v["median_s"] / anchor, 3) for k, v in result.items()}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
