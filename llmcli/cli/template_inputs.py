"""From command-line arguments to a rendered template: -v pairs, stdin and the prompt argument
filling `input`, an examples file, completion mode. Shared by `prompt -t` and `templates render`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput

if TYPE_CHECKING:
    from llmcli.app_context import AppContext
    from llmcli.templates.model import Template
    from llmcli.templates.render import Rendered


def parse_vars(pairs: list[str] | None, template: Template) -> dict[str, Any]:
    """`-v name=value` pairs. `@path` reads the value from a UTF-8 file (`@@` for a literal @);
    a list variable collects every value given, one item per paragraph."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidInput(f"variable '{pair}' is not name=value",
                               hint="e.g. -v input='Olá, mundo'")
        value = _value(name, value)
        var = template.variable(name)
        if var is not None and var.type == "list":
            from llmcli.templates.render import paragraphs

            out.setdefault(name, []).extend(paragraphs(value))
        else:
            out[name] = value
    return out


def _value(name: str, value: str) -> str:
    if value.startswith("@@"):
        return value[1:]
    if not value.startswith("@"):
        return value
    if not value[1:].strip():
        raise InvalidInput(f"-v {name}=@ needs a file name after @", hint="use @@ for a literal @")
    path = Path(value[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(
            f"file {path} not found (for -v {name}=@{value[1:]})",
            hint="use @@ for a value that starts with @",
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput(f"file {path} (for -v {name}) is not UTF-8",
                           hint="convert it to UTF-8") from None
    except OSError as exc:
        raise InvalidInput(f"file {path} (for -v {name}) cannot be read: {exc.strerror}") from None


def fill_input(template: Template, variables: dict[str, Any], body: str) -> dict[str, Any]:
    """Stdin and the prompt argument fill the variable named `input`, when the template has one."""
    if not body.strip():
        return variables
    if template.variable("input") is None:
        names = ", ".join(v.name for v in template.variables) or "none"
        raise InvalidInput(
            f"{template.where} has no 'input' variable for the prompt text or stdin",
            hint=f"its variables are {names}; pass them with -v NAME=VALUE",
        )
    if "input" in variables:
        raise InvalidInput(
            "'input' given twice: by -v input=... and as prompt text or stdin",
            hint="give it one way",
        )
    return {**variables, "input": body}


def load(app: AppContext, ref: str) -> Template:
    from llmcli.templates.loader import load_template

    return load_template(ref, app.paths)


def render_from_args(
    app: AppContext,
    template: Template,
    *,
    text: str | None,
    variables: list[str] | None,
    examples_file: str | None,
    raw: bool,
    system: str | None,
) -> Rendered:
    """Render with everything the command line gave; reads stdin when it is piped."""
    from llmcli.cli.inputs import combine, read_stdin
    from llmcli.templates.render import render

    values = parse_vars(variables, template)
    values = fill_input(template, values, combine(read_stdin(app.env), text))
    examples = None
    if examples_file:
        from llmcli.templates.examples import load_examples

        examples = load_examples(examples_file)
    return render(template, values, examples, "completion" if raw else "chat", system=system)


def plan(rendered: Rendered, samples: int) -> str | None:
    """What running it will do beyond one call, for --show-prompt."""
    t = rendered.template
    if t.technique == "least-to-most":
        return ("least-to-most: this is the first call (the decomposition); each sub-question "
                "and then the problem itself are solved in later calls")
    if t.technique == "tree-of-thoughts":
        from llmcli.templates.tree_of_thoughts import breadth_depth

        breadth, depth = breadth_depth(t)
        return (f"tree-of-thoughts: this is the first call (proposing {breadth} thoughts); each "
                f"thought is scored in its own call and the best expanded, for up to {depth} "
                f"steps (at most {depth * (1 + breadth) + 1} calls), then the answer")
    if t.technique == "self-refine":
        from llmcli.templates.self_refine import DEFAULT_ROUNDS

        rounds = t.rounds or DEFAULT_ROUNDS
        return (f"self-refine: this is the first call (the draft); then up to {rounds} rounds of "
                "critique and revision (a critique saying "
                f"{t.done_marker or 'nothing'} ends them)")
    if samples > 1:
        from llmcli.templates.techniques import SAMPLING_TEMPERATURE

        temp = rendered.options.get("temperature", SAMPLING_TEMPERATURE)
        return f"{samples} samples at temperature {temp}, answers voted ({t.vote or 'majority'})"
    return None


def header(rendered: Rendered, model: str, samples: int) -> list[str]:
    t = rendered.template
    opts = " ".join(f"{k}={v}" for k, v in rendered.options.items()) or "none"
    lines = [f"template: {t.name} ({t.technique}) · mode: {rendered.mode} · model: {model} · "
             f"options: {opts}"]
    if t.extract is not None:
        markers = " / ".join(t.extract.marker or [])
        how = f"regex {t.extract.regex}" if t.extract.regex else f"marker {markers}"
        lines.append(f"answer extracted by {how}")
    if t.format == "json":
        lines.append("reply must be JSON")
    extra = plan(rendered, samples)
    if extra:
        lines.append(extra)
    return lines
