"""The suite file: a subset of promptfoo's `promptfooconfig.yaml`, validated by pydantic.

Supported keys: `description`, `prompts`, `providers`, `tests` (each with `description`,
`vars`, `assert`, `threshold`, `options.provider`), `defaultTest` (the same fields, merged into
every test). Keys promptfoo uses for its own output or web viewer (`outputPath`, `sharing`...)
are ignored; anything else is refused with its name, so a suite never half-runs.

The file is bounded before and while it is read: its size, YAML aliases refused (a few lines
must not expand into millions of nodes), and the number of prompts, providers, tests and
cells.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmcli.core.errors import InvalidInput
from llmcli.templates.model import Extract

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_PROMPTS = 64
MAX_PROVIDERS = 32
MAX_TESTS = 20_000
MAX_ASSERTS = 64
MAX_CELLS = 200_000
# promptfoo keys for its own outputs and viewer: they mean nothing here, so they are skipped.
IGNORED_KEYS = frozenset({"outputPath", "sharing", "writeLatestResults", "tags", "metadata",
                          "evaluateOptions", "commandLineOptions", "$schema"})

ASSERTION_TYPES = frozenset({
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any",
    "icontains-all", "regex", "starts-with", "is-json", "similar", "llm-rubric", "latency",
    "cost",
})
NO_NOT = frozenset({"latency", "cost"})  # a 'not-latency' means nothing


class Assertion(BaseModel):
    """One check of a reply (promptfoo's assertion object, the supported part)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str
    value: Any = None
    threshold: float | None = None
    weight: float = Field(1.0, ge=0)
    provider: str | None = None  # the grader or embedder for llm-rubric / similar
    metric: str | None = None  # a label, kept in the results

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        base = v.removeprefix("not-")
        if base not in ASSERTION_TYPES or (v.startswith("not-") and base in NO_NOT):
            known = ", ".join(sorted(ASSERTION_TYPES))
            raise ValueError(f"assertion type '{v}' is not supported (supported: {known}, "
                             "and not-<type>)")
        return v

    @property
    def negated(self) -> bool:
        return self.type.startswith("not-")

    @property
    def base(self) -> str:
        return self.type.removeprefix("not-")


class TestOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str | None = None  # default grader/embedder for this test's assertions


class TestCase(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    description: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    assert_: list[Assertion] = Field(default_factory=list, alias="assert",
                                     max_length=MAX_ASSERTS)
    threshold: float | None = Field(None, ge=0, le=1)
    options: TestOptions = Field(default_factory=TestOptions)
    metadata: dict[str, Any] | None = None


class PromptSpec(BaseModel):
    """A prompt: text with {{var}} (`raw`), a file (`id: file://...`), or a template."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    raw: str | None = None
    label: str | None = None
    template: str | None = None  # an llmcli template name or path: rendered with the vars
    extract: Extract | None = None  # pull the answer out of a plain prompt's reply


class ProviderSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    label: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    description: str | None = None
    prompts: list[str | PromptSpec] = Field(min_length=1)
    providers: list[str | ProviderSpec] = Field(default_factory=list)
    tests: list[TestCase] = Field(default_factory=list)
    default_test: TestCase | None = Field(None, alias="defaultTest")


class Prompt(BaseModel):
    """A prompt ready to render: its label and either text or a template name."""

    label: str
    text: str | None = None
    template: str | None = None
    extract: Extract | None = None


class Case(BaseModel):
    """One test case after defaultTest was merged in and list vars were expanded."""

    index: int
    description: str | None
    vars: dict[str, Any]
    asserts: list[Assertion]
    threshold: float | None
    grader: str | None

    @property
    def key(self) -> str:
        """Stable across edits of other cases: the description and vars, hashed."""
        blob = json.dumps([self.description, self.vars], sort_keys=True, ensure_ascii=False,
                          default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def title(self) -> str:
        if self.description:
            return self.description
        shown = ", ".join(f"{k}={_clip(str(v), 50)}" for k, v in self.vars.items())
        return _clip(shown, 120) or f"test {self.index + 1}"


class Suite(BaseModel):
    """A parsed suite: prompts, provider ids (with their options), cases."""

    path: str
    digest: str
    description: str | None
    prompts: list[Prompt]
    providers: list[ProviderSpec]
    cases: list[Case]


def load_suite(path: Path) -> Suite:
    """Read, bound and validate a suite file; every problem is one InvalidInput line."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"suite {path} cannot be read: {exc.strerror}",
                           hint="check the path") from None
    if size > MAX_FILE_BYTES:
        raise InvalidInput(f"suite {path} is {size:,} bytes, over the {MAX_FILE_BYTES:,} limit",
                           hint="split it into several suites")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"suite {path} is not UTF-8", hint="save it as UTF-8") from None
    except OSError as exc:
        raise InvalidInput(f"suite {path} cannot be read: {exc.strerror}") from None
    return parse_suite(text, path)


def parse_suite(text: str, path: Path) -> Suite:
    data = _yaml(text, str(path))
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a mapping with 'prompts' and 'tests'",
                           hint="see 'llmcli eval --help' and the README's eval section")
    data = {k: v for k, v in data.items() if k not in IGNORED_KEYS}
    _resolve_refs(data, path)
    try:
        raw = SuiteFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("str", "Prompt",
                                                                             "Provider")))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "this key is not supported"
        raise InvalidInput(f"{path}: {where or 'suite'}: {msg}",
                           hint="the README's eval section lists the supported keys") from None
    prompts = _prompts(raw.prompts, path.parent, path)
    providers = [p if isinstance(p, ProviderSpec) else ProviderSpec(id=p) for p in raw.providers]
    if len(providers) > MAX_PROVIDERS:
        raise InvalidInput(f"{path}: {len(providers)} providers, over the {MAX_PROVIDERS} limit")
    cases = _cases(raw, path)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Suite(path=str(path), digest=digest, description=raw.description, prompts=prompts,
                 providers=providers, cases=cases)


def _resolve_refs(data: dict[str, Any], path: Path) -> None:
    """`- $ref: '#/assertionTemplates/NAME'` in an assert list: the named assertion."""
    named = data.pop("assertionTemplates", None) or {}
    if not isinstance(named, dict):
        raise InvalidInput(f"{path}: assertionTemplates must be a mapping of names")
    tests = [t for t in (data.get("tests") or []) if isinstance(t, dict)]
    if isinstance(data.get("defaultTest"), dict):
        tests.append(data["defaultTest"])
    for test in tests:
        items = test.get("assert")
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict) and set(item) == {"$ref"}:
                ref = str(item["$ref"])
                name = ref.removeprefix("#/assertionTemplates/")
                if name == ref or name not in named:
                    raise InvalidInput(f"{path}: $ref {ref} names no assertion template",
                                       hint="define it under assertionTemplates")
                items[i] = named[name]


def _yaml(text: str, where: str) -> Any:
    import yaml

    from llmcli.templates.loader import yaml_loader

    loader = yaml_loader()(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed YAML"
        problem = problem.replace("in templates", "in suites")
        raise InvalidInput(f"{where}{line}: {problem}",
                           hint="check the indentation; write repeated parts out in full") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{where}: malformed YAML: {exc}", hint="fix the YAML") from None
    finally:
        loader.dispose()


def _prompts(items: list[str | PromptSpec], folder: Path, path: Path) -> list[Prompt]:
    out: list[Prompt] = []
    for item in items:
        spec = item if isinstance(item, PromptSpec) else PromptSpec(raw=item)
        if spec.template is not None:
            out.append(Prompt(label=spec.label or spec.id or spec.template,
                              template=spec.template))
            continue
        source = spec.raw if spec.raw is not None else spec.id
        if source is None:
            raise InvalidInput(f"{path}: a prompt needs 'raw', 'id' or 'template'")
        if source.startswith("file://"):
            texts = _prompt_file(folder / source.removeprefix("file://"), path)
            for i, t in enumerate(texts):
                label = spec.label if spec.label and len(texts) == 1 else None
                if spec.label and len(texts) > 1:
                    label = f"{spec.label} {i + 1}"
                out.append(Prompt(label=label or _short(t), text=t, extract=spec.extract))
        else:
            # {id: NAME, raw: TEXT}: the id names the row (promptfoo's label does too)
            named = spec.label or (spec.id if spec.raw is not None else None)
            out.append(Prompt(label=named or _short(source), text=source,
                              extract=spec.extract))
    if len(out) > MAX_PROMPTS:
        raise InvalidInput(f"{path}: {len(out)} prompts, over the {MAX_PROMPTS} limit")
    seen: dict[str, int] = {}
    for p in out:  # labels name rows and key stored cells: they must be distinct
        seen[p.label] = seen.get(p.label, 0) + 1
        if seen[p.label] > 1:
            p.label = f"{p.label} #{seen[p.label]}"
    return out


def _prompt_file(file: Path, path: Path) -> list[str]:
    """A prompt file: several prompts separated by a line holding only '---' (promptfoo's rule)."""
    if file.suffix.lower() not in (".txt", ".md", ".prompt", ""):
        raise InvalidInput(f"{path}: prompt file {file.name} is not text (.txt, .md)",
                           hint="JavaScript, Python and JSON chat prompts are not supported")
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput(f"{path}: prompt file {file} is over {MAX_FILE_BYTES:,} bytes")
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = "is not UTF-8" if isinstance(exc, UnicodeDecodeError) else "cannot be read"
        raise InvalidInput(f"{path}: prompt file {file} {why}", hint="check the path") from None
    parts = [p.strip("\n") for p in text.replace("\r\n", "\n").split("\n---\n")]
    return [p for p in parts if p.strip()]


def _short(text: str) -> str:
    return _clip(text, 40)


def _clip(text: str, limit: int) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _merge(default: TestCase | None, test: TestCase) -> TestCase:
    if default is None:
        return test
    return TestCase(
        description=test.description or default.description,
        vars={**default.vars, **test.vars},
        assert_=[*default.assert_, *test.assert_],
        threshold=test.threshold if test.threshold is not None else default.threshold,
        options=TestOptions(provider=test.options.provider or default.options.provider),
    )


def _cases(raw: SuiteFile, path: Path) -> list[Case]:
    tests = raw.tests or [TestCase()]
    cases: list[Case] = []
    for test in tests:
        merged = _merge(raw.default_test, test)
        for values in _expand(merged.vars):
            if len(cases) >= MAX_TESTS:
                raise InvalidInput(f"{path}: more than {MAX_TESTS:,} test cases",
                                   hint="split the suite")
            cases.append(Case(index=len(cases), description=merged.description, vars=values,
                              asserts=merged.assert_, threshold=merged.threshold,
                              grader=merged.options.provider))
    return cases


def _expand(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """promptfoo's rule: a list value makes one case per item (every combination)."""
    names = list(variables)
    choices = [v if isinstance(v, list) else [v] for v in variables.values()]
    total = 1
    for c in choices:
        total *= max(1, len(c))
        if total > MAX_TESTS:
            raise InvalidInput(f"list vars expand into more than {MAX_TESTS:,} cases",
                               hint="use fewer list values")
    return [{n: _text(v) for n, v in zip(names, combo, strict=True)}
            for combo in itertools.product(*choices)]


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def check_size(n_prompts: int, n_models: int, n_cases: int, repeat: int) -> int:
    """The number of cells, refused over MAX_CELLS."""
    cells = n_prompts * n_models * n_cases * repeat
    if cells > MAX_CELLS:
        raise InvalidInput(f"{cells:,} cells (prompts x models x tests x repeat), over the "
                           f"{MAX_CELLS:,} limit", hint="fewer models, tests or --repeat")
    return cells
