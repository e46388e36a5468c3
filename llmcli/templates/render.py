"""Turn a template and its variables into the messages sent to a model.

Few-shot examples become alternating user/assistant turns for chat models, and an
'Input:/Output:' block for completion (raw) models, unless the template lays them out itself
by using the `examples` variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmcli.core.errors import InvalidInput
from llmcli.core.messages import Message
from llmcli.templates.limits import MAX_BUILT, MAX_INT_BITS
from llmcli.templates.model import Example, Mode, Template, Variable
from llmcli.templates.sandbox import (
    RENDER_SECONDS,
    RenderError,
    SourceError,
    inspect_source,
    render_source,
)

FIELDS = ("system", "prompt", "solve", "evaluate", "conclude", "critique", "revise",
          "required_keys")
# A completion model continues the Input:/Output: pattern past its answer with the next
# example; its reply ends where the next example would start.
EXAMPLE_STOP = "\nInput:"
# Names the renderer supplies in a field (so they are not template variables).
SUPPLIED = {
    "system": {"examples"},
    "prompt": {"examples"},
    "solve": {"question", "previous", "examples"},
    "evaluate": {"thoughts", "thought", "step", "breadth", "depth", "examples"},
    "conclude": {"thoughts", "examples"},
    "critique": {"draft", "round", "examples"},
    "revise": {"draft", "feedback", "round", "examples"},
    "required_keys": set(),
}
# What a technique's first call (the `prompt` field) is also given: tree-of-thoughts proposes
# from the path of thoughts chosen so far, empty at first.
FIRST_CALL = {"tree-of-thoughts": ("thoughts", "step", "breadth", "depth")}


@dataclass
class Rendered:
    """What a template produced: messages to send, the options it asks for, and its inputs."""

    template: Template
    messages: list[Message]
    options: dict[str, Any]
    mode: Mode
    variables: dict[str, Any]
    examples: list[Example] = field(default_factory=list)
    system_override: str | None = None

    @property
    def completes_examples(self) -> bool:
        """True when a completion model fills in the last 'Output:' of an example block: its
        reply is a bare label (the space after the colon and the stop's newline trimmed)."""
        return self.raw and self.messages[-1].content.endswith("\nOutput:")

    @property
    def raw(self) -> bool:
        """True in completion mode: send the single message as is (ChatRequest.raw)."""
        return self.mode == "completion"


def prepare(template: Template) -> Template:
    """Check every text field in the sandbox and declare variables the text uses but the
    YAML does not list (as required text). Idempotent; raises InvalidInput."""
    declared = {v.name for v in template.variables}
    for name in FIELDS:
        source = getattr(template, name)
        if not source or not isinstance(source, str):
            continue
        used = field_names(template, name)
        supplied = SUPPLIED[name] | (set(FIRST_CALL.get(template.technique, ()))
                                     if name in ("prompt", "system") else set())
        for var in sorted(used - declared - supplied):
            template.variables.append(Variable(name=var))
            declared.add(var)
    return template


def field_names(template: Template, name: str) -> frozenset[str]:
    """Variables a text field uses; its syntax and sandbox problems become InvalidInput."""
    try:
        return inspect_source(getattr(template, name) or "")
    except SourceError as exc:
        raise _source_error(template, name, exc) from None


# The budget of llmcli.templates.limits, in the words of an error's hint.
LIMIT_HINT = (f"a template renders within {RENDER_SECONDS:g} s, builds at most {MAX_BUILT:,} "
              f"characters per value and integers of {MAX_INT_BITS:,} bits")


def _source_error(template: Template, name: str, exc: SourceError) -> InvalidInput:
    line = f" line {exc.lineno}" if exc.lineno else ""
    if exc.kind == "limit":
        return InvalidInput(f"{template.where}: {name}{line}: {exc.message}", hint=LIMIT_HINT)
    if exc.kind == "sandbox":
        return InvalidInput(
            f"{template.where}: {name}{line}: {exc.message}",
            hint="templates cannot reach Python internals, files or the environment",
        )
    return InvalidInput(
        f"{template.where}: {name}{line}: {exc.message}",
        hint="Jinja syntax: {{ variable }}, {% if x %}...{% endif %}, "
        "{% for x in xs %}...{% endfor %}",
    )


def render_field(template: Template, name: str, values: Mapping[str, Any]) -> str:
    """Render one text field (system, prompt or solve) in the sandbox."""
    source = getattr(template, name) or ""
    field_names(template, name)
    try:
        # Trailing whitespace is dropped: YAML block text ends with a newline, and a trailing
        # space or newline at the end of a completion prompt changes how models continue it.
        return render_source(source, dict(values)).rstrip()
    except RecursionError:  # a macro that calls itself without end
        raise InvalidInput(
            f"{template.where}: {name}: the template calls itself without end (recursion)",
            hint="give the macro a condition that stops it",
        ) from None
    except RenderError as exc:
        if exc.kind == "limit":
            raise InvalidInput(f"{template.where}: {name}: {exc.message}",
                               hint=LIMIT_HINT) from None
        if exc.kind == "sandbox":
            raise InvalidInput(
                f"{template.where}: {name}: {exc.message}",
                hint="templates cannot reach Python internals, files or the environment",
            ) from None
        hint = "pass a value with -v NAME=VALUE" if exc.kind == "undefined" else None
        raise InvalidInput(f"{template.where}: {name}: {exc.message}", hint=hint) from None


def resolve_variables(template: Template, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Given values plus defaults, typed; unknown names and missing required ones refused."""
    prepare(template)
    given = dict(given or {})
    names = [v.name for v in template.variables]
    unknown = [k for k in given if k not in names]
    if unknown:
        have = ", ".join(names) or "none"
        raise InvalidInput(
            f"{template.where} has no variable '{unknown[0]}'", hint=f"its variables: {have}"
        )
    missing = [v.name for v in template.variables if v.is_required and given.get(v.name) is None]
    if missing:
        how = " ".join(f"-v {n}=VALUE" for n in missing)
        if "input" in missing:
            how += " (or give 'input' as the prompt argument or on stdin)"
        raise InvalidInput(
            f"{template.where} needs variable{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)}",
            hint=f"pass {'them' if len(missing) > 1 else 'it'} with {how}",
        )
    values: dict[str, Any] = {}
    for var in template.variables:
        value = given.get(var.name)
        if value is None:
            value = var.default if var.default is not None else ([] if var.type == "list" else "")
        values[var.name] = _typed(var, value)
    return values


def _typed(var: Variable, value: Any) -> Any:
    if var.type == "list":
        return paragraphs(value) if isinstance(value, str) else list(value)
    if isinstance(value, list | tuple):
        return "\n\n".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def paragraphs(text: str) -> list[str]:
    """A list variable given as text: one item per paragraph (blank-line separated)."""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def examples_for(template: Template, examples: list[Example] | None = None) -> list[Example]:
    """The examples to use: those given (they replace the template's), else the template's."""
    if examples is not None:
        return list(examples)
    if isinstance(template.examples, list):
        return list(template.examples)
    if isinstance(template.examples, str):
        from pathlib import Path

        from llmcli.templates.examples import load_examples

        path = Path(template.examples).expanduser()
        if not path.is_absolute() and template.source is not None:
            path = template.source.parent / path
        return load_examples(path)
    return []


def render(
    template: Template,
    variables: Mapping[str, Any] | None = None,
    examples: list[Example] | None = None,
    mode: Mode = "chat",
    system: str | None = None,
) -> Rendered:
    """Render a template: validate variables, lay out examples, build the messages.

    `examples` replace the template's own; `system` is literal text (not a template) that
    replaces the template's system prompt. For least-to-most templates the messages are the
    first call (the decomposition); later calls are built by `techniques.least_to_most`.
    """
    values = resolve_variables(template, variables)
    exs = examples_for(template, examples)
    context = {**values, **first_call(template), "examples": [e.model_dump() for e in exs]}
    override = system
    if system is None and template.system:
        system = render_field(template, "system", context)
    user = render_field(template, "prompt", context)
    turns: list[tuple[str, str]] = []
    used = field_names(template, "prompt") | field_names(template, "system")
    lays_out_itself = "examples" in used
    if exs and not lays_out_itself:
        has_input = template.variable("input") is not None
        for ex in exs:
            shown = (render_field(template, "prompt", {**context, "input": ex.input})
                     if has_input else ex.input)
            turns.append((shown, ex.output))
    messages = build(system or None, turns, user, mode)
    options = dict(template.options)
    if mode == "completion" and turns:
        given = options.get("stop") or []
        given = [given] if isinstance(given, str) else list(given)
        options["stop"] = [*given, EXAMPLE_STOP] if EXAMPLE_STOP not in given else given
    return Rendered(template, messages, options, mode, values, exs, override)


def build(system: str | None, turns: list[tuple[str, str]], user: str, mode: Mode) -> list[Message]:
    """Chat: system, user/assistant pairs, user. Completion: one text with an Input/Output block."""
    if mode == "completion":
        parts = [system] if system else []
        if turns:
            parts.extend(f"Input: {q}\nOutput: {a}" for q, a in turns)
            parts.append(f"Input: {user}\nOutput:")
        else:
            parts.append(user)
        return [Message(role="user", content="\n\n".join(parts))]
    out = [Message(role="system", content=system)] if system else []
    for q, a in turns:
        out.append(Message(role="user", content=q))
        out.append(Message(role="assistant", content=a))
    out.append(Message(role="user", content=user))
    return out


def first_call(template: Template) -> dict[str, Any]:
    """What the technique supplies to its first call: tree-of-thoughts' empty path."""
    if template.technique != "tree-of-thoughts":
        return {}
    from llmcli.templates.tree_of_thoughts import breadth_depth

    breadth, depth = breadth_depth(template)
    return {"thoughts": [], "step": 1, "breadth": breadth, "depth": depth}


def render_step(
    rendered: Rendered, question: str, previous: list[dict[str, str]]
) -> list[Message]:
    """Least-to-most: the messages for one sub-question, given the ones answered before it."""
    return render_call(rendered, "solve", {"question": question, "previous": previous})


def render_call(rendered: Rendered, name: str, supplied: Mapping[str, Any]) -> list[Message]:
    """The messages of a later call of a multi-call technique: the template's system prompt
    and its field `name` rendered with the variables and what the technique supplies."""
    template = rendered.template
    context = {**rendered.variables, **supplied,
               "examples": [e.model_dump() for e in rendered.examples]}
    system = rendered.system_override
    if system is None and template.system:
        system = render_field(template, "system", context)
    return build(system or None, [], render_field(template, name, context), rendered.mode)


def json_keys(template: Template, values: Mapping[str, Any]) -> list[str]:
    """The keys a JSON reply must have (required_keys, rendered when it is text)."""
    keys = template.required_keys
    if keys is None:
        return []
    if isinstance(keys, str):
        keys = render_field(template, "required_keys", values).replace("\n", ",").split(",")
    return [k.strip() for k in keys if k.strip()]
