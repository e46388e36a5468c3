"""The template format: one YAML file validated by these pydantic models (unknown keys refused)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

Technique = Literal[
    "zero-shot",
    "few-shot",
    "chain-of-thought",
    "zero-shot-cot",
    "least-to-most",
    "self-consistency",
    "tree-of-thoughts",
    "self-refine",
    "chain-of-draft",
    "role",
    "structured",
    "rag",
    "custom",
]
TECHNIQUES: tuple[str, ...] = Technique.__args__  # type: ignore[attr-defined]

Mode = Literal["chat", "completion"]
VoteMethod = Literal["majority", "exact", "numeric"]

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Jinja keywords and the names the renderer supplies itself cannot be template variables.
RESERVED = frozenset(
    {"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if",
     "else", "for", "loop", "self", "examples", "question", "previous"}
)


def _scalar_to_text(value: Any) -> Any:
    # YAML turns `output: 42` or `output: yes` into int/bool; an example's text is what was written.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


class Variable(BaseModel):
    """A value the prompt needs. Required unless it has a default (or `required: false`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    default: str | list[str] | None = None
    required: bool | None = None
    type: Literal["text", "list"] = "text"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _IDENT_RE.match(v):
            raise ValueError(f"'{v}' is not a valid variable name (letters, digits and _)")
        if v in RESERVED:
            raise ValueError(f"'{v}' is reserved; choose another variable name")
        return v

    @field_validator("default", mode="before")
    @classmethod
    def _default(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [_scalar_to_text(x) for x in v]
        return _scalar_to_text(v)

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.default is None


class Example(BaseModel):
    """One input/output pair for few-shot prompting."""

    model_config = ConfigDict(extra="forbid")

    input: str
    output: str

    @field_validator("input", "output", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _scalar_to_text(v)


def nested_repeat(pattern: re.Pattern[str]) -> str | None:
    """The first `(x+)+`-shaped piece of a regex (an unbounded repeat whose body is only another
    unbounded repeat), the classic catastrophic-backtracking shape; None when there is none.
    Other slow shapes are caught at run time by the extraction timeout (templates/extract.py)."""
    from re import _constants as c
    from re import _parser

    repeats = (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT)

    def only_item(sub: Any) -> Any:
        while len(sub) == 1 and sub[0][0] is c.SUBPATTERN:
            sub = sub[0][1][-1]
        return sub[0] if len(sub) == 1 else None

    def walk(items: Any) -> str | None:
        for op, av in items:
            if op in repeats and av[1] is c.MAXREPEAT:
                inner = only_item(av[2])
                if inner is not None and inner[0] in repeats and inner[1][1] is c.MAXREPEAT:
                    return "(x+)+"
            for sub in _children(op, av, c):
                found = walk(sub)
                if found:
                    return found
        return None

    return walk(_parser.parse(pattern.pattern, pattern.flags))


def _children(op: Any, av: Any, c: Any) -> list[Any]:
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return [av[2]]
    if op is c.SUBPATTERN:
        return [av[-1]]
    if op is c.BRANCH:
        return list(av[1])
    if op in (c.ASSERT, c.ASSERT_NOT, c.ATOMIC_GROUP):
        return [av[-1]]
    return []


class Extract(BaseModel):
    """How to pull the final answer out of a reply: a marker such as 'Answer:' or a regex."""

    model_config = ConfigDict(extra="forbid")

    marker: list[str] | None = None
    regex: str | None = None
    group: int | str | None = None
    which: Literal["first", "last"] = "last"

    @field_validator("marker", mode="before")
    @classmethod
    def _marker(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_way(self) -> Extract:
        if (self.marker is None) == (self.regex is None):
            raise ValueError("give exactly one of 'marker' or 'regex'")
        if self.marker is not None and not all(m.strip() for m in self.marker):
            raise ValueError("a marker cannot be empty")
        if self.regex is not None:
            try:
                pattern = re.compile(self.regex)
            except re.error as exc:
                pos = f" at position {exc.pos}" if exc.pos is not None else ""
                raise ValueError(f"regex {self.regex!r} does not compile: {exc.msg}{pos}") from None
            nested = nested_repeat(pattern)
            if nested:
                raise ValueError(
                    f"regex {self.regex!r} nests a repeat directly in another ({nested}): it can "
                    "take exponential time on a reply that almost matches; repeat once, e.g. (a+)"
                )
            if isinstance(self.group, int) and self.group > pattern.groups:
                raise ValueError(
                    f"regex has {pattern.groups} group(s); group {self.group} does not exist"
                )
            if isinstance(self.group, str) and self.group not in pattern.groupindex:
                raise ValueError(f"regex has no group named '{self.group}'")
        return self


# The fields only one multi-call technique reads, and those of them it cannot do without.
TECHNIQUE_FIELDS = {
    "tree-of-thoughts": ("evaluate", "conclude", "breadth", "depth"),
    "self-refine": ("critique", "revise", "rounds", "done_marker"),
}
REQUIRED_FIELDS = frozenset({"evaluate", "conclude", "critique", "revise"})


class Template(BaseModel):
    """A prompt template: text with {{ variables }}, plus how to run it and read its answer."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    technique: Technique = "custom"
    system: str | None = None
    prompt: str
    # least-to-most only: the prompt for each sub-question (gets input, question, previous).
    solve: str | None = None
    # tree-of-thoughts: `prompt` proposes the next thoughts (gets thoughts, the path chosen so
    # far, and step, breadth, depth); `evaluate` scores one (gets thoughts, thought, step);
    # `conclude` answers from the best path (gets thoughts).
    evaluate: str | None = None
    conclude: str | None = None
    breadth: int | None = Field(None, ge=1, le=8)
    depth: int | None = Field(None, ge=1, le=8)
    # self-refine: `prompt` drafts; `critique` reviews a draft (gets draft); `revise` rewrites
    # it (gets draft, feedback); a critique containing `done_marker` ends the rounds early.
    critique: str | None = None
    revise: str | None = None
    rounds: int | None = Field(None, ge=1, le=8)
    done_marker: str | None = None
    variables: list[Variable] = Field(default_factory=list)
    # Inline pairs, or a JSONL/CSV/YAML file path relative to the template file.
    examples: list[Example] | str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    extract: Extract | None = None
    samples: int | None = Field(None, ge=1, le=64)
    vote: VoteMethod | None = None
    format: Literal["text", "json"] = "text"
    # For format: json, keys the object must have: a list, or text with {{ variables }}
    # rendered then split on commas.
    required_keys: list[str] | str | None = None
    # Structured output (as prompt --schema): a JSON Schema object, or the concise form
    # 'name, age int, bio'. The reply must validate; single-call templates only.
    # (`schema:` in the YAML; the attribute name avoids pydantic's BaseModel.schema.)
    json_schema: dict[str, Any] | str | None = Field(None, alias="schema")

    _source: Path | None = PrivateAttr(default=None)
    _builtin: bool = PrivateAttr(default=False)
    _where: str | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v and not NAME_RE.match(v):
            raise ValueError(f"'{v}' is not a valid template name (letters, digits, '-', '_', '.')")
        return v

    @field_validator("extract", mode="before")
    @classmethod
    def _extract(cls, v: Any) -> Any:
        return {"marker": v} if isinstance(v, str | list) else v

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the prompt is empty")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        names = [v.name for v in self.variables]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"variable declared twice: {', '.join(dupes)}")
        if self.technique == "least-to-most" and not self.solve:
            raise ValueError(
                "a least-to-most template needs 'solve', the prompt for each sub-question"
            )
        if self.solve and self.technique != "least-to-most":
            raise ValueError("'solve' is only used by technique: least-to-most")
        for technique, needed in TECHNIQUE_FIELDS.items():
            for name in needed:
                value = getattr(self, name)
                if self.technique == technique and name in REQUIRED_FIELDS and not value:
                    raise ValueError(f"a {technique} template needs '{name}'")
                if value is not None and self.technique != technique:
                    raise ValueError(f"'{name}' is only used by technique: {technique}")
        if self.required_keys is not None and self.format != "json":
            raise ValueError("'required_keys' needs format: json")
        return self

    # -- derived ---------------------------------------------------------------------------
    @property
    def source(self) -> Path | None:
        """The file it was loaded from (None when built in code)."""
        return self._source

    @property
    def builtin(self) -> bool:
        return self._builtin

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    @property
    def required_variables(self) -> list[str]:
        return [v.name for v in self.variables if v.is_required]

    @property
    def default_samples(self) -> int:
        """How many replies to sample: `samples`, else 5 for self-consistency, else 1."""
        if self.samples is not None:
            return self.samples
        return 5 if self.technique == "self-consistency" else 1

    @property
    def where(self) -> str:
        """How error messages name this template."""
        if self._where:
            return self._where
        if self._builtin:
            return f"built-in template '{self.name}'"
        return str(self._source) if self._source else f"template '{self.name}'"
