"""The stubs' bodies are complete: the SDKs accept them with strict response validation."""

from __future__ import annotations

import pytest

from tests.stubs.base import Reply


def test_openai_bodies_pass_strict_validation(openai_server):
    import openai

    c = openai.OpenAI(
        api_key=openai_server.expected_key,
        base_url=openai_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )
    msgs = [{"role": "user", "content": "hi"}]
    r = c.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    assert r.choices[0].message.content == "Hello from the stub." and r.usage.total_tokens == 3
    chunks = list(
        c.chat.completions.create(
            model="gpt-4o-mini", messages=msgs, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 2
    assert [m.id for m in c.models.list().data] == openai_server.models
    e = c.embeddings.create(model="text-embedding-3-small", input=["a"], encoding_format="float")
    assert e.data[0].embedding == [0.25, -0.5, 0.75]
    c.close()


def test_groq_bodies_pass_strict_validation(groq_server):
    import groq

    c = groq.Groq(
        api_key=groq_server.expected_key,
        base_url=groq_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )
    msgs = [{"role": "user", "content": "hi"}]
    r = c.chat.completions.create(model="openai/gpt-oss-20b", messages=msgs)
    assert r.x_groq.id == "req_01stub" and r.usage.total_time == 0.003
    chunks = list(
        c.chat.completions.create(model="openai/gpt-oss-20b", messages=msgs, stream=True)
    )
    assert chunks[-1].x_groq.usage.completion_tokens == 2
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {m.id for m in c.models.list().data} == set(groq_server.models)
    c.close()


def test_gemini_sse_is_strict_enough_for_the_sdk(gemini_server):
    # The genai SSE parser rejects anything but `data: <json>` events: it is the strict check.
    from google import genai

    c = genai.Client(
        api_key=gemini_server.expected_key, http_options={"base_url": gemini_server.url}
    )
    gemini_server.chunks = ["a", "b", "c"]
    stream = c.models.generate_content_stream(model="gemini-3.5-flash-lite", contents="hi")
    texts = [ch.text for ch in stream]
    assert texts == ["a", "b", "c"]
    assert [m.name for m in c.models.list()][-1] == "models/imagen-stub"


def test_requests_are_recorded_case_insensitively(openai_server):
    import httpx

    openai_server.script("models", Reply(200, {"object": "list", "data": []}))
    r = httpx.get(openai_server.url + "/models?x=1", headers={"X-Custom-Thing": "v"})
    assert r.status_code == 200
    got = openai_server.last
    assert got.headers["x-custom-thing"] == got.headers["X-CUSTOM-THING"] == "v"
    assert got.route == "models" and got.query == {"x": ["1"]} and got.path == "/v1/models?x=1"


def test_unknown_route_is_404(openai_server):
    import httpx

    assert httpx.post(openai_server.host_url + "/v2/nothing", json={}).status_code == 404
    assert openai_server.last.route is None


@pytest.mark.parametrize("n", [1, 3])
def test_fail_times_then_default(openai_server, n):
    import httpx

    openai_server.fail_times("models", n, openai_server.server_error(503))
    auth = {"Authorization": f"Bearer {openai_server.expected_key}"}
    codes = [
        httpx.get(openai_server.url + "/models", headers=auth).status_code for _ in range(n + 1)
    ]
    assert codes == [503] * n + [200]
    assert httpx.get(openai_server.url + "/models").status_code == 401  # no key, no models
