"""Provider batch jobs (#22): building (and uploading) the request file for N inputs.

For N in --sizes (default 1,000, 10,000 and 100,000 prompts), one `llmcli batch IN -m
openai:gpt-4o-mini --provider-batch` process each way, measured side by side in one run:
  - dry: `--dry-run` (read, build each request through exchange.request, write the JSONL file);
  - submit: the same, then the upload to the loopback OpenAI stub (multipart through the real
    openai SDK) and the job's creation; it returns at once with the job id.
Wall time and the child's peak RSS (GNU time %M). Memory should stay flat in N: lines go
straight to disk. The stub runs in this process, so its own copy of the upload is not counted.

Run from the repository root:
    .venv/bin/python bench/bench_provider_batch.py [--sizes 1000,10000,100000]
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

from bench_batch import PY, env_for, run_measured, write_prompts  # noqa: E402

from tests.stubs.openai_stub import OpenAIStub  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    args = ap.parse_args()
    out: dict = {"cpu": _cpu(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp, OpenAIStub() as stub:
        for n in (int(s) for s in args.sizes.split(",")):
            src = Path(tmp) / f"in-{n}.jsonl"
            write_prompts(src, n)
            row: dict = {"inputs": n, "input_bytes": src.stat().st_size}
            for mode, extra in (("dry", ["--dry-run"]), ("submit", [])):
                env = env_for(stub, Path(tmp) / f"home-{n}-{mode}")
                argv = [PY, "-m", "llmcli", "batch", str(src), "-m", "openai:gpt-4o-mini",
                        "--provider-batch", *extra]
                wall, rss = run_measured(argv, env)
                row[f"{mode}_s"] = round(wall, 2)
                row[f"{mode}_peak_rss_mib"] = round(rss / 1024, 1)
            uploads = [v for v in stub.files.values() if v[1] == "batch"]
            row["uploaded_files"] = len(uploads)  # 50,000 requests per file at most
            row["uploaded_bytes"] = sum(len(u[2]) for u in uploads)
            out["runs"].append(row)
            stub.files.clear()
    print(json.dumps(out, indent=2))


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    main()
