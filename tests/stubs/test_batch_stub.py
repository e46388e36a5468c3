"""The stubs' files + batches endpoints through the real openai and groq SDKs."""

from __future__ import annotations

import json

import pytest

LINES = [{"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions",
          "body": {"model": "stub-model", "messages": [{"role": "user", "content": f"olá {i}"}]}}
         for i in range(3)]
DATA = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in LINES).encode()


def clients(openai_server, groq_server):
    import groq
    import openai

    return [
        (openai_server, openai.OpenAI(api_key=openai_server.expected_key,
                                      base_url=openai_server.url, max_retries=0)),
        (groq_server, groq.Groq(api_key=groq_server.expected_key, base_url=groq_server.url,
                                max_retries=0)),
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["openai", "groq"])
def test_lifecycle_through_the_sdk(openai_server, groq_server, which):
    stub, client = clients(openai_server, groq_server)[which]
    stub.echo = True
    f = client.files.create(file=("in.jsonl", DATA), purpose="batch")
    assert stub.files[f.id] == ("in.jsonl", "batch", DATA)
    job = client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                completion_window="24h")
    assert job.status == "validating" and job.request_counts.total == 3
    stub.advance(job.id, "in_progress", done=2)
    got = client.batches.retrieve(job.id)
    assert (got.status, got.request_counts.completed) == ("in_progress", 2)
    stub.fail_ids = {"c1"}
    stub.finish(job.id)
    got = client.batches.retrieve(job.id)
    assert (got.status, got.request_counts.completed, got.request_counts.failed) == (
        "completed", 2, 1)
    out = [json.loads(x) for x in client.files.content(got.output_file_id).read().splitlines()]
    assert [(o["custom_id"], o["response"]["body"]["choices"][0]["message"]["content"])
            for o in out] == [("c0", "olá 0"), ("c2", "olá 2")]
    err = [json.loads(x) for x in client.files.content(got.error_file_id).read().splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in err] == [("c1", 400)]


def test_cancel_and_scripted_steps(openai_server, groq_server):
    stub, client = clients(openai_server, groq_server)[0]
    f = client.files.create(file=("in.jsonl", DATA), purpose="batch")
    job = client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                completion_window="24h")
    assert client.batches.cancel(job.id).status == "cancelling"
    stub.batch_steps = ["cancelled"]
    got = client.batches.retrieve(job.id)
    assert got.status == "cancelled" and got.output_file_id is None
    import openai

    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(job.id)  # an ended job cannot be cancelled


def test_bad_request_lines_are_refused(openai_server, groq_server):
    _, client = clients(openai_server, groq_server)[0]
    import openai

    dup = DATA + DATA.splitlines(keepends=True)[0]
    f = client.files.create(file=("in.jsonl", dup), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="unique"):
        client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                              completion_window="24h")
