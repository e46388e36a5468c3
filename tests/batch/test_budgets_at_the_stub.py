"""Rate budgets counted where it matters: requests arriving at the OpenAI loopback stub.

The runner is driven directly with the real openai adapter, so the budget window can be
shortened to a second (the CLI's is 60 s).
"""

from llmcli.core.provider import ProviderSettings
from llmcli.providers.openai_compat import OpenAIProvider
from tests.batch.helpers import jsonl, run_batch
from tests.batch.helpers import target as make_target


def stub_provider(stub) -> OpenAIProvider:
    """The adapter with its SDK client made, as `llmcli batch` does before it starts: the
    budget counts a request when it is reserved, so the SDK import must not sit between the
    reservation and the request reaching the server."""
    provider = OpenAIProvider(ProviderSettings(name="openai", api_key=stub.expected_key))
    assert provider.client is not None
    return provider


def slow(stub, seconds):
    default = stub.default

    def delayed(route, req):
        reply = default(route, req)
        if route == "chat":
            reply.delay = seconds
        return reply

    stub.default = delayed


def test_rpm_is_honoured_at_the_server(openai_server):
    openai_server.echo = True
    provider = stub_provider(openai_server)
    t = make_target(provider, "gpt-4o-mini")
    recs, stats, _, _ = run_batch([t], jsonl([f"p{i}" for i in range(10)]), jobs=4, rpm=4,
                                  budget_window=1.0)
    assert stats.ok == 10 and sorted(r["reply"] for r in recs) == sorted(f"p{i}" for i in range(10))
    arrivals = sorted(r.at for r in openai_server.requests_for("chat"))
    shown = [round(a - arrivals[0], 3) for a in arrivals]
    assert len(arrivals) == 10, shown
    # At most 4 in any one-second window, give or take 50 ms: a budget counts a request when
    # it reserves it, the server when it arrives (a new connection arrives later than a reused
    # one).
    for i, start in enumerate(arrivals):
        assert sum(1 for a in arrivals[i:] if a - start < 1.0 - 0.05) <= 4, shown
    assert arrivals[-1] - arrivals[0] >= 2.0 - 0.05  # 10 requests need three windows
    provider.close()


def test_tpm_reserves_an_estimate_then_settles_to_the_real_usage(openai_server):
    openai_server.echo = True
    slow(openai_server, 0.3)
    provider = stub_provider(openai_server)
    t = make_target(provider, "gpt-4o-mini")
    # Each request is estimated at ~265 tokens (prompt/4 + 4 + a 256-token guess for the
    # reply), so 600 tokens a window admit two at first; the stub's usage is ~3 tokens, and
    # once the first replies settle the third goes at once, long before the window ends.
    _, stats, _, _ = run_batch([t], jsonl(["a", "b", "c"]), jobs=3, tpm=600, budget_window=5.0)
    assert stats.ok == 3
    arrivals = sorted(r.at for r in openai_server.requests_for("chat"))
    assert arrivals[1] - arrivals[0] < 0.2  # two admitted together
    assert 0.25 <= arrivals[2] - arrivals[0] < 4.5  # held until a reply settled, not 5 s
    provider.close()
