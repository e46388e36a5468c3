"""The exchange service: one request from a model spec to a logged response.

Every command that asks a model goes through here (prompt, chat, templates, rag, compare,
batch); they differ only in how many exchanges they run, how they schedule them and how they
render them.

    request.py      model spec + messages + options (+ request features) -> ChatRequest
    drive.py        warm-up, core.runner.Run driven to its end, the one internal-error rule
    record.py       the one call that writes an exchange to the log
    interactive.py  one exchange in front of a person: writer, waiting display, Ctrl-C
"""
