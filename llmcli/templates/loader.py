"""Finding and loading templates: built-ins, the user's directory, and files given by path.

User templates live in `<config dir>/templates/NAME.yaml` and override a built-in of the same
name. Every problem is one InvalidInput line naming the file and the line.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput
from llmcli.templates.model import Template

if TYPE_CHECKING:
    from llmcli.config import Paths

SUFFIXES = (".yaml", ".yml")


def builtin_dir() -> Path:
    """The built-in templates: llmcli/prompts/ in a wheel, the repo's prompts/ in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "prompts"
    return packaged if packaged.is_dir() else package.parent / "prompts"


def user_dir(paths: Paths | Path | None = None) -> Path:
    """Where user templates live: `<config dir>/templates` (a Path is taken as the dir itself)."""
    if paths is None:
        from llmcli.config import Paths

        paths = Paths.from_env()
    if isinstance(paths, Path):
        return paths
    return paths.config_dir / "templates"


def is_path(ref: str) -> bool:
    """True when `-t` names a file rather than a template."""
    return "/" in ref or "\\" in ref or ref.endswith(SUFFIXES) or ref.startswith(("~", "."))


@dataclass
class Entry:
    """One template as `templates list` shows it."""

    name: str
    path: Path
    origin: str  # "built-in", "user", or "user (overrides built-in)"


def entries(paths: Paths | Path | None = None) -> list[Entry]:
    """Every template by name: user ones first win over built-ins."""
    found: dict[str, Entry] = {}
    for path in _yaml_files(builtin_dir()):
        found[path.stem] = Entry(path.stem, path, "built-in")
    for path in _yaml_files(user_dir(paths)):
        origin = "user (overrides built-in)" if path.stem in found else "user"
        if path.stem in found and found[path.stem].origin != "built-in":
            continue  # NAME.yaml and NAME.yml: the first (.yaml) wins
        found[path.stem] = Entry(path.stem, path, origin)
    return [found[k] for k in sorted(found)]


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()),
                  key=lambda p: (p.stem, SUFFIXES.index(p.suffix)))


def find(name: str, paths: Paths | Path | None = None) -> Entry:
    """The entry for a name; an unknown name suggests close ones."""
    known = {e.name: e for e in entries(paths)}
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise InvalidInput(f"unknown template '{name}'", hint=hint + "see 'llmcli templates list'")


def load_template(name_or_path: str | Path, paths: Paths | Path | None = None) -> Template:
    """Load a template by name (user dir, then built-ins) or from a file path."""
    ref = str(name_or_path)
    if isinstance(name_or_path, Path) or is_path(ref):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise InvalidInput(f"template file {path} not found",
                               hint="check the path, or use a name from 'llmcli templates list'")
        return load_file(path)
    entry = find(ref, paths)
    return load_file(entry.path, builtin=entry.origin == "built-in")


def load_file(path: Path, *, builtin: bool = False) -> Template:
    """Parse and validate one template file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"template file {path} is not UTF-8", hint="save it as UTF-8") from None
    except OSError as exc:
        raise InvalidInput(f"template file {path} cannot be read: {exc.strerror}") from None
    where = f"built-in template '{path.stem}'" if builtin else str(path)
    return parse_template(text, where, path=path, builtin=builtin)


def parse_template(
    text: str, where: str, *, path: Path | None = None, builtin: bool = False
) -> Template:
    """Validate template YAML text; `where` names it in error messages."""
    from pydantic import ValidationError

    from llmcli.templates.render import prepare

    data, node = _parse_yaml(text, where)
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: expected a mapping with at least 'prompt'",
                           hint="see 'llmcli templates show zero-shot' for the format")
    if path is not None and not data.get("name"):
        data["name"] = path.stem
    try:
        template = Template.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, data, node, where) from None
    template._source = path
    template._builtin = builtin
    template._where = where
    _check_fields(template, node, where)
    prepare(template)
    _check_options(template, node, where)
    return template


# -- YAML ------------------------------------------------------------------------------------
ALIAS_PROBLEM = "YAML aliases (*name) are not allowed in templates"


@cache
def yaml_loader() -> type:
    """SafeLoader where only true/false are booleans: `output: yes` or `no` stay text (YAML 1.2),
    and aliases are refused: `*name` references let a few lines expand into a structure whose
    size (and the time to walk it) grows exponentially with nesting (the "billion laughs")."""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, ALIAS_PROBLEM, self.peek_event().start_mark
                )
            return super().compose_node(parent, index)

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))
    return Loader


def _parse_yaml(text: str, where: str) -> tuple[Any, Any]:
    import yaml

    loader = yaml_loader()(text)
    try:
        node = loader.get_single_node()
        _no_duplicate_keys(node, where)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed YAML"
        if problem == ALIAS_PROBLEM:
            raise InvalidInput(f"{where}{line}: {problem}",
                               hint="write the repeated text out in full") from None
        raise InvalidInput(
            f"{where}{line}: malformed YAML: {problem}",
            hint="check the indentation, and quote text containing ': ' or starting with '{'",
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{where}: malformed YAML: {exc}", hint="fix the YAML") from None
    finally:
        loader.dispose()
    return data, node


def _no_duplicate_keys(node: Any, where: str) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    line = key.start_mark.line + 1
                    raise InvalidInput(f"{where} line {line}: key '{key.value}' appears twice",
                                       hint="keep one")
                seen.add(key.value)
            _no_duplicate_keys(value, where)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _no_duplicate_keys(item, where)


def _node_at(node: Any, loc: tuple[Any, ...], key_node: bool = False) -> Any:
    """The YAML node at a path of keys and indexes (the key's own node if `key_node`)."""
    import yaml

    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            match = next(
                ((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None
            )
            if match is None:
                return node
            node = match[0] if (last and key_node) else match[1]
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and part < len(node.value)):
            node = node.value[part]
        else:
            return node
    return node


def _line(node: Any, loc: tuple[Any, ...], key_node: bool = False) -> str:
    found = _node_at(node, loc, key_node) if node is not None else None
    return f" line {found.start_mark.line + 1}" if found is not None else ""


# -- validation messages ------------------------------------------------------------------
def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union tags ('list[Example]', 'str'...) from a location."""
    out: list[Any] = []
    cur = data
    for i, part in enumerate(loc):
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and part < len(cur)
        if in_dict or in_list:
            out.append(part)
            cur = cur[part]
        elif i == len(loc) - 1 and isinstance(part, str) and isinstance(cur, dict):
            out.append(part)  # a missing or unknown key
        elif isinstance(cur, dict | list):
            continue  # a union tag
        else:
            break
    return tuple(out)


def _loc_text(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_KNOWN = {
    "variables": "name, description, default, required, type",
    "examples": "input, output",
    "extract": "marker, regex, group, which",
}


def _validation_error(exc: Any, data: Any, node: Any, where: str) -> InvalidInput:
    errors = exc.errors()
    cleaned = [(_clean_loc(data, tuple(e["loc"])), e) for e in errors]
    # The deepest location is the most precise; at equal depth an unknown key (a typo) explains
    # a missing one better than the other way round.
    loc, err = max(cleaned, key=lambda pair: (len(pair[0]), pair[1]["type"] == "extra_forbidden"))
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = loc[0] if len(loc) > 1 else None
        known = _KNOWN.get(str(parent)) if parent else ", ".join(Template.model_fields)
        inside = f" in {_loc_text(loc[:-1])}" if len(loc) > 1 else ""
        return InvalidInput(
            f"{where}{_line(node, loc, key_node=True)}: unknown key '{loc[-1]}'{inside}",
            hint=f"known keys: {known}",
        )
    if kind == "missing":
        inside = f" in {_loc_text(loc[:-1])}" if len(loc) > 1 else ""
        return InvalidInput(
            f"{where}{_line(node, loc[:-1])}: missing required key '{loc[-1]}'{inside}",
            hint="see 'llmcli templates show zero-shot' for the format",
        )
    msg = err["msg"].removeprefix("Value error, ")
    label = f"{_loc_text(loc)}: " if loc else ""
    return InvalidInput(f"{where}{_line(node, loc)}: {label}{msg}")


def _check_fields(template: Template, node: Any, where: str) -> None:
    """Jinja syntax and sandbox problems, reported at their line in the file."""
    import yaml

    from llmcli.templates.render import FIELDS, LIMIT_HINT
    from llmcli.templates.sandbox import SourceError, inspect_source

    for name in FIELDS:
        source = getattr(template, name)
        if not isinstance(source, str):
            continue
        try:
            inspect_source(source)
        except SourceError as exc:
            value = _node_at(node, (name,))
            line = ""
            if isinstance(value, yaml.ScalarNode) and exc.lineno:
                block = 1 if value.style in ("|", ">") else 0
                line = f" line {value.start_mark.line + block + exc.lineno}"
            hints = {"sandbox": "templates cannot reach Python internals, files or the environment",
                     "limit": LIMIT_HINT}
            hint = hints.get(exc.kind, "Jinja syntax: {{ variable }}, {% if x %}...{% endif %}")
            raise InvalidInput(f"{where}{line}: {name}: {exc.message}", hint=hint) from None


def _check_options(template: Template, node: Any, where: str) -> None:
    """Values of the common options are checked now; provider-specific names at run time."""
    from llmcli.core.options import Options, validate_options

    common = {k: v for k, v in template.options.items() if k in Options.model_fields}
    try:
        validate_options(common)
    except InvalidInput as exc:
        line = _line(node, ("options",))
        raise InvalidInput(f"{where}{line}: {exc.message}", hint=exc.hint) from None
