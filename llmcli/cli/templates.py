"""`llmcli templates`: list, show, render, create, edit and validate prompt templates."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context
from llmcli.cli.flags import json_option

templates_app = typer.Typer(
    help="Prompt templates for prompting techniques (zero-shot, few-shot, chain-of-thought...)."
    "\n\nExample: llmcli templates list",
    no_args_is_help=True,
)
app.add_typer(templates_app, name="templates")

VAR_HELP = "Variable name=value (repeatable); value @file reads a file."


@templates_app.command("list")
def templates_list(ctx: typer.Context, as_json: bool = json_option()) -> None:
    """List built-in and user templates. Example: llmcli templates list"""
    from llmcli.core.errors import InvalidInput
    from llmcli.templates.loader import entries, load_file
    from llmcli.ui.tables import print_json, print_table

    app_ctx = app_context(ctx)
    rows = []
    for entry in entries(app_ctx.paths):
        try:
            t = load_file(entry.path, builtin=entry.origin == "built-in")
            technique, description = t.technique, t.description
        except InvalidInput as exc:  # a broken user file must not hide the others
            technique, description = "(invalid)", exc.one_line()
        rows.append({"name": entry.name, "technique": technique, "source": entry.origin,
                     "description": description, "path": str(entry.path)})
    if as_json:
        print_json(app_ctx.env, rows)
        return
    print_table(app_ctx.env, ["name", "technique", "source", "description"],
                [(r["name"], r["technique"], r["source"], r["description"]) for r in rows],
                title="Templates")


@templates_app.command("show")
def templates_show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Template name or path to a .yaml file."),
    as_json: bool = typer.Option(False, "--json", help="The validated template as JSON."),
) -> None:
    """Print a template's YAML. Example: llmcli templates show chain-of-thought"""
    from llmcli.cli.template_inputs import load
    from llmcli.ui.tables import print_json
    from llmcli.ui.templates_view import print_source

    app_ctx = app_context(ctx)
    template = load(app_ctx, name)
    if as_json:
        data = template.model_dump(mode="json", exclude_none=True, by_alias=True)
        data["path"] = str(template.source) if template.source else None
        print_json(app_ctx.env, data)
        return
    assert template.source is not None
    print_source(app_ctx.env, template.source.read_text(encoding="utf-8-sig"),
                 f"{template.where}: {template.source}")


@templates_app.command("render")
def templates_render(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Template name or path to a .yaml file."),
    text: str | None = typer.Argument(
        None, help="Fills the variable 'input'; '-' or nothing reads stdin."),
    var: list[str] | None = typer.Option(None, "-v", "--var", help=VAR_HELP),
    examples: str | None = typer.Option(
        None, "--examples", help="Few-shot examples: JSONL, CSV or YAML with input, output."
    ),
    raw: bool = typer.Option(
        False, "--raw", help="Completion form: one text with an Input:/Output: block."
    ),
    system: str | None = typer.Option(
        None, "-s", "--system", help="Replace the template's system prompt."
    ),
    as_json: bool = typer.Option(False, "--json", help="The messages as JSON."),
) -> None:
    """Show the messages a template produces, without sending anything.

    Example: llmcli templates render few-shot "Adorei o filme!" --raw
    """
    from llmcli.cli.template_inputs import header, load, render_from_args
    from llmcli.cli.template_run import PromptArgs, _print_messages

    app_ctx = app_context(ctx)
    template = load(app_ctx, name)
    rendered = render_from_args(app_ctx, template, text=text, variables=var,
                                examples_file=examples, raw=raw, system=system)
    head = header(rendered, template.model or "(the default)", template.default_samples)
    args = PromptArgs(template=name, text=text, variables=var, examples=examples, model=None,
                      system=system, option=None, as_json=as_json, raw=raw)
    _print_messages(app_ctx, args, rendered.messages, head, rendered.options, template.name)


SKELETON = """\
# A prompt template for llmcli. Run it: llmcli prompt -t {name} "your text"
# Check it: llmcli templates validate {name}    See the built-ins: llmcli templates list
name: {name}
description: What this template does, in one line.
technique: custom   # zero-shot, few-shot, chain-of-thought, zero-shot-cot, least-to-most,
                    # self-consistency, tree-of-thoughts, self-refine, chain-of-draft, role,
                    # structured, rag or custom
variables:
  - name: input
    description: The main text; filled by the prompt argument or stdin.
system: You are a helpful assistant.
prompt: |
  {{{{ input }}}}
# examples:              # few-shot pairs (or a file: examples: examples.jsonl)
#   - input: ...
#     output: ...
# extract: "Answer:"     # how to find the final answer (or {{regex: "...", group: 1}})
# options:
#   temperature: 0.2
"""


@templates_app.command("new")
def templates_new(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the new template (letters, digits, -, _)."),
    from_: str | None = typer.Option(None, "--from", help="Start from a copy of this template."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing user template."),
) -> None:
    """Create a user template (overrides a built-in of the same name).

    Example: llmcli templates new resumo --from role
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.templates.loader import user_dir
    from llmcli.templates.model import NAME_RE

    app_ctx = app_context(ctx)
    if not NAME_RE.match(name) or name.endswith((".yaml", ".yml")):
        raise InvalidInput(f"'{name}' is not a valid template name",
                           hint="use letters, digits, '-' and '_', without .yaml")
    path = user_dir(app_ctx.paths) / f"{name}.yaml"
    if path.exists() and not force:
        raise InvalidInput(f"template {path} already exists",
                           hint=f"edit it with 'llmcli templates edit {name}', or use --force")
    text = SKELETON.format(name=name)
    if from_:
        text = _copy_of(app_ctx, from_, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    app_ctx.env.stdout.write(f"{path}\n")


def _copy_of(app_ctx, source: str, name: str) -> str:
    import re

    from llmcli.cli.template_inputs import load

    template = load(app_ctx, source)
    assert template.source is not None
    text = template.source.read_text(encoding="utf-8-sig")
    text, n = re.subn(r"(?m)^name:.*$", f"name: {name}", text, count=1)
    return text if n else f"name: {name}\n{text}"


@templates_app.command("edit")
def templates_edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A user template, or a built-in (copied first)."),
) -> None:
    """Open a template in $VISUAL / $EDITOR, then validate it.

    Example: EDITOR=nano llmcli templates edit chain-of-thought
    """
    import shlex
    import subprocess

    from llmcli.core.errors import InvalidInput
    from llmcli.templates.loader import find, load_file, user_dir
    from llmcli.ui.console import warn_line

    app_ctx = app_context(ctx)
    env = app_ctx.env
    entry = find(name, app_ctx.paths)
    path = entry.path
    original: str | None = None  # a built-in's text: an unchanged copy is removed again
    if entry.origin == "built-in":
        path = user_dir(app_ctx.paths) / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        original = entry.path.read_text(encoding="utf-8")
        path.write_text(original, encoding="utf-8")
    editor = env.environ.get("VISUAL") or env.environ.get("EDITOR") or "vi"
    try:
        code = subprocess.call([*shlex.split(editor), str(path)])
    except OSError as exc:
        if original is not None:
            path.unlink()
        raise InvalidInput(f"cannot start the editor '{editor}': {exc.strerror}",
                           hint="set EDITOR, e.g. export EDITOR=nano") from None
    if original is not None and (code != 0 or path.read_text(encoding="utf-8") == original):
        path.unlink()  # no change (or the editor failed): no override left behind
        if code == 0:
            env.stderr.write(f"no change: the built-in '{name}' is used as it is\n")
            return
    if code != 0:
        kept = "nothing saved" if original is not None else f"{path} kept as it is"
        raise InvalidInput(f"the editor exited with status {code}; {kept}")
    if original is not None:
        warn_line(env, f"copied built-in '{name}' to {path}; your copy overrides the built-in")
    load_file(path)  # errors come out as one line, with the file and line
    env.stderr.write(f"{path}: ok\n")


@templates_app.command("validate")
def templates_validate(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Template files (or names) to check."),
) -> None:
    """Check template files: YAML, keys, Jinja syntax, sandbox rules, regexes, examples.

    Example: llmcli templates validate ./meu-template.yaml
    """
    from llmcli.core.errors import InvalidInput
    from llmcli.templates.loader import load_template
    from llmcli.templates.render import examples_for
    from llmcli.ui.console import error_line

    app_ctx = app_context(ctx)
    env = app_ctx.env
    failed = 0
    for ref in paths:
        try:
            template = load_template(ref, app_ctx.paths)
            examples_for(template)  # an examples file named in the template must load
        except InvalidInput as exc:
            error_line(env, exc.one_line())
            failed += 1
            continue
        names = ", ".join(v.name for v in template.variables) or "none"
        env.stdout.write(f"ok  {template.source or ref}  ({template.name}, {template.technique}; "
                         f"variables: {names})\n")
    if failed:
        raise typer.Exit(2)


@templates_app.command("path")
def templates_path(
    ctx: typer.Context,
    builtin: bool = typer.Option(False, "--builtin", help="The built-in templates' folder."),
) -> None:
    """Print the folder of user templates (they override built-ins by name).

    Example: ls "$(llmcli templates path)"
    """
    from llmcli.templates.loader import builtin_dir, user_dir

    app_ctx = app_context(ctx)
    app_ctx.env.stdout.write(f"{builtin_dir() if builtin else user_dir(app_ctx.paths)}\n")
