"""Fetching a provider batch job with and without writing its results to the log (issue 22).

Submits N inputs to the loopback OpenAI stub of the test suite (tests/stubs/, echoing each
prompt), completes the job there, then times `llmcli batch fetch JOB -O FILE` four times, each
in a fresh process: --no-log (the first fetch: it also downloads the results file), logged
(every result written once), logged again (nothing new to write), --no-log again.

Run from the repository root:  .venv/bin/python bench/bench_fetch_log.py [N=2000]
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.getcwd())

from tests.stubs.openai_stub import OpenAIStub


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    home = tempfile.mkdtemp(prefix="fetchlog-")
    src, out = os.path.join(home, "in.jsonl"), os.path.join(home, "out.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": i, "prompt": f"pergunta {i}"}) + "\n")
    llmcli = os.path.join(os.getcwd(), ".venv/bin/llmcli")
    timings = []
    with OpenAIStub() as stub:
        env = dict(os.environ, LLMCLI_HOME=home, OPENAI_BASE_URL=stub.url,
                   OPENAI_API_KEY=stub.expected_key or "", NO_PROXY="127.0.0.1")
        stub.echo = True
        job = subprocess.run([llmcli, "batch", src, "-m", "openai:gpt-4o-mini",
                              "--provider-batch"], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        stub.finish("batch_0001")
        for label, flags in (("no-log, first", ["--no-log"]), ("logged", []),
                             ("logged again", []), ("no-log again", ["--no-log"])):
            started = time.perf_counter()
            subprocess.run([llmcli, "batch", "fetch", job, "-O", out, *flags], env=env,
                           capture_output=True, check=True)
            timings.append((label, round(time.perf_counter() - started, 3)))
    print(json.dumps({"inputs": n, "load": os.getloadavg()[0], "seconds": dict(timings)}))


if __name__ == "__main__":
    main()
