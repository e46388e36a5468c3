"""`llmcli chat` under a pseudo-terminal: keystroke-to-request latency and per-token render cost.

Measured side by side in one run, against the loopback OpenAI stub in this process:

1. keystroke -> request: time from writing Enter into the pty to the stub having read the
   request, for the first message (sent `--think` seconds after the prompt appears; the SDK
   is imported in the background meanwhile) and the following ones.
   Beside it, the same request made straight through the adapter in this process (SDK and
   HTTP only), so the REPL's own share is the difference.
2. rendering a 5,000 tokens/s stream: the stub paces N tokens at that rate; we record whether
   it could keep its pace (a REPL that lags pushes back through TCP), the lag from the last
   token sent to the prompt coming back, and the chat process's CPU time per token, for the
   Markdown view and for --plain. Then the same stream unpaced: the most tokens/s it takes.
3. in process: microseconds per token of the reply writers alone (Markdown, plain).

    .venv/bin/python bench/bench_chat.py [--messages 30] [--tokens 10000] [--rate 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stubs.base import SSE, _chunk  # noqa: E402
from tests.stubs.openai_stub import OpenAIStub  # noqa: E402

PROMPT_START = "\x1b[?2004h"  # prompt_toolkit enables bracketed paste as each prompt starts
CPR_REQUEST = "\x1b[6n"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class PacedSSE(SSE):
    rate: float = 0.0  # events per second; 0 = as fast as the reader takes them


class PacedStub(OpenAIStub):
    """Sends a stream's events at a fixed rate and records when the first and last went out."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_first = 0.0
        self.sent_last = 0.0

    def _send_sse(self, h, s) -> None:
        if not isinstance(s, PacedSSE):
            return super()._send_sse(h, s)
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        events, n, i = s.events, len(s.events), 0
        start = time.monotonic()
        self.sent_first = start
        while i < n:
            now = time.monotonic()
            due = n if not s.rate else min(n, int((now - start) * s.rate) + 1)
            if due > i:
                _chunk(h, b"".join(events[i:due]))
                h.wfile.flush()
                i = due
            else:
                time.sleep(max(0.0, i / s.rate - (now - start)))
        self.sent_last = time.monotonic()
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()

    def paced(self, rate: float):
        def reply(req):
            sse = self.stream(req)
            return PacedSSE(sse.events, headers=sse.headers, rate=rate)

        return reply


def tokens(n: int) -> list[str]:
    """Word-sized pieces with a paragraph break every 60 words, like a long prose reply."""
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]
    out = []
    for i in range(n):
        w = words[i % len(words)]
        out.append(w + ("\n\n" if i % 60 == 59 else " "))
    return out


class Pty:
    """A chat process in a pty, read raw (no emulation, so the reader costs little)."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.child = pexpect.spawn(sys.executable, ["-m", "llmcli", "chat", *args], env=env,
                                   cwd=str(ROOT), dimensions=(40, 120), encoding="utf-8",
                                   codec_errors="replace", timeout=60)
        self.child.delaybeforesend = None
        self.prompts = 0
        self.last_prompt_at = 0.0

    def pump(self, wait: float = 0.01) -> None:
        try:
            data = self.child.read_nonblocking(1 << 20, timeout=wait)
        except pexpect.TIMEOUT:
            return
        if CPR_REQUEST in data:
            self.child.send("\x1b[1;1R" * data.count(CPR_REQUEST))
        if PROMPT_START in data:
            self.prompts += data.count(PROMPT_START)
            self.last_prompt_at = time.monotonic()

    def wait_prompts(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.prompts < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no prompt after {timeout} s")
            self.pump()

    def cpu(self) -> float:
        with open(f"/proc/{self.child.pid}/stat", encoding="utf-8") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def close(self) -> None:
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF)
        self.child.close()


def stats_ms(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return {"median_ms": round(statistics.median(ms), 2), "p90_ms": round(p90, 2),
            "min_ms": round(ms[0], 2), "max_ms": round(ms[-1], 2), "n": len(ms)}


def keystroke_latency(stub: PacedStub, env: dict[str, str], messages: int, think: float) -> dict:
    stub.reset()
    pty = Pty(["-m", "openai:gpt-4o-mini"], env)
    pty.wait_prompts(1)
    # A person reads the banner and types the first message: the SDK is imported meanwhile.
    deadline = time.monotonic() + think
    while time.monotonic() < deadline:
        pty.pump(0.05)
    lat = []
    for i in range(messages):
        pty.child.send(f"message number {i}")
        time.sleep(0.05)  # typed, as a person would, before pressing Enter
        pty.pump(0.0)
        start = time.monotonic()
        pty.child.send("\r")
        while len(stub.requests_for("chat")) < i + 1:
            pty.pump(0.001)
        lat.append(stub.requests_for("chat")[-1].at - start)
        pty.wait_prompts(i + 2)
    pty.close()
    sent = [r.body["messages"] for r in stub.requests_for("chat")]
    first = {**stats_ms(lat[:1]), "after_think_s": think}
    return {"first_message": first, "later_messages": stats_ms(lat[1:])}, sent


def adapter_latency(stub: PacedStub, conversations: list[list[dict]]) -> dict:
    """The very same requests straight through the adapter: the SDK's and HTTP's share."""
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.provider import ProviderSettings
    from llmcli.providers.openai_compat import OpenAIProvider

    provider = OpenAIProvider(ProviderSettings(name="openai", api_key=stub.expected_key))
    lat = []
    for messages in conversations:
        stub.reset()
        req = ChatRequest(model="gpt-4o-mini", messages=[Message(**m) for m in messages])
        start = time.monotonic()
        events = provider.chat(req)
        next(events)
        lat.append(stub.requests_for("chat")[-1].at - start)
        for _ in events:
            pass
    provider.close()
    return stats_ms(lat[1:])  # the first one builds the client


def stream_render(stub: PacedStub, env: dict[str, str], n: int, rate: float, plain: bool) -> dict:
    stub.reset()
    stub.chunks = tokens(n)
    args = ["-m", "openai:gpt-4o-mini"] + (["--plain"] if plain else [])
    pty = Pty(args, env)
    pty.wait_prompts(1)
    pty.child.send("warm up\r")  # the SDK import and client are not what is measured
    pty.wait_prompts(2)
    stub.script("chat", stub.paced(rate))
    cpu0 = pty.cpu()
    start = time.monotonic()
    pty.child.send("go\r")
    pty.wait_prompts(3, timeout=120)
    cpu = pty.cpu() - cpu0
    sent = stub.sent_last - stub.sent_first
    out = {
        "tokens": n,
        "target_tokens_per_s": rate or None,
        "stub_send_s": round(sent, 3),
        "stub_achieved_tokens_per_s": round(n / sent) if sent > 0 else None,
        "lag_after_last_token_ms": round((pty.last_prompt_at - stub.sent_last) * 1000, 1),
        "enter_to_prompt_s": round(pty.last_prompt_at - start, 3),
        "chat_cpu_s": round(cpu, 2),
        "chat_cpu_us_per_token": round(cpu / n * 1e6, 1),
    }
    if not rate:
        out["consumed_tokens_per_s"] = round(n / (pty.last_prompt_at - stub.sent_first))
    pty.close()
    stub.chunks = None
    return out


def writer_cost(n: int) -> dict:
    """Microseconds per token of the reply writers alone, rendering to a fake terminal."""
    from rich.console import Console

    from llmcli.ui.stream import MarkdownWriter, PlainWriter

    class Sink(io.StringIO):
        def isatty(self) -> bool:
            return True

    pieces = tokens(n)
    out = {}
    console = Console(file=Sink(), force_terminal=True, width=120, color_system="truecolor")
    for name, writer in (("markdown", MarkdownWriter(console)),
                         ("plain", PlainWriter(type("E", (), {"stdout": Sink()})()))):
        start = time.perf_counter()
        writer.start()
        for p in pieces:
            writer.write(p)
        writer.finish()
        out[f"{name}_us_per_token"] = round((time.perf_counter() - start) / n * 1e6, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=30)
    ap.add_argument("--tokens", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=5000.0)
    ap.add_argument("--think", type=float, default=2.0,
                    help="seconds between the first prompt and the first message")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, PacedStub() as stub:
        os.environ["OPENAI_BASE_URL"] = stub.url
        os.environ["OPENAI_API_KEY"] = stub.expected_key or ""
        os.environ["NO_PROXY"] = "127.0.0.1,localhost"
        others = ("GROQ_", "GEMINI_", "GOOGLE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(others)}
        env.update(LLMCLI_HOME=str(Path(tmp) / "home"), TERM="xterm-256color")
        env.pop("NO_COLOR", None)
        load_before = os.getloadavg()[0]
        keystroke, sent = keystroke_latency(stub, env, args.messages, args.think)
        result = {
            "keystroke_to_request": keystroke,
            "adapter_only_request": adapter_latency(stub, sent),
            "stream_markdown": stream_render(stub, env, args.tokens, args.rate, plain=False),
            "stream_plain": stream_render(stub, env, args.tokens, args.rate, plain=True),
            "unpaced_markdown": stream_render(stub, env, args.tokens, 0, plain=False),
            "unpaced_plain": stream_render(stub, env, args.tokens, 0, plain=True),
            "writers_in_process": writer_cost(args.tokens),
        }
        # the machine is shared: the load says how much these figures can be trusted
        result["load_average_1m"] = {"before": load_before, "after": os.getloadavg()[0],
                                     "cpus": os.cpu_count()}
        later = result["keystroke_to_request"]["later_messages"]["median_ms"]
        result["repl_share_ms"] = round(later - result["adapter_only_request"]["median_ms"], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
