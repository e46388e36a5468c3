"""Prompt templates: the YAML model, loading, sandboxed rendering, answer extraction, voting.

The small public API other commands use (chat's /template, compare, batch):

    from llmcli.templates.loader import load_template
    from llmcli.templates.render import render
    from llmcli.templates.extract import extract

    template = load_template("chain-of-thought", app.paths)    # a name, or a path to a .yaml
    rendered = render(template, {"input": "..."}, examples=None, mode="chat")  # -> Rendered
    rendered.messages, rendered.options, rendered.raw           # what to send
    extract(template, reply_text)                               # -> str | None

Import `render` and `extract` from their submodules: a package attribute of the same name
would be replaced by the submodule as soon as it is imported. Multi-call techniques
(least-to-most, self-consistency, tree-of-thoughts, self-refine) run through
`llmcli.templates.techniques.run(rendered, ask)`, where `ask(messages, options) -> Response`
is supplied by the caller (`exchange.chain.Chain.ask` in compare and batch). Submodules are
imported on first use so `import llmcli.templates` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.templates.loader import load_template
    from llmcli.templates.model import Example, Template
    from llmcli.templates.render import Rendered
    from llmcli.templates.techniques import Outcome

__all__ = ["Example", "Outcome", "Rendered", "Template", "load_template"]

_WHERE = {
    "load_template": "llmcli.templates.loader",
    "Example": "llmcli.templates.model",
    "Template": "llmcli.templates.model",
    "Rendered": "llmcli.templates.render",
    "Outcome": "llmcli.templates.techniques",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'llmcli.templates' has no attribute {name!r}")
