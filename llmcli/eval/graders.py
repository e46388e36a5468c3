"""The model-backed assertions: `similar` (embedding cosine) and `llm-rubric` (a model grades
the reply against a rubric and answers with a JSON verdict and its reason)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import InvalidInput
from llmcli.eval.assertions import cosine

if TYPE_CHECKING:
    from llmcli.core.registry import Registry
    from llmcli.core.response import Response

RUBRIC_SYSTEM = (
    "You grade an output against a rubric. The output passes when what the rubric asks for "
    "is true of it. Answer with one JSON object and nothing else: "
    '{"reason": "<one sentence>", "pass": true or false, "score": <a number from 0 to 1>}'
)


def rubric_messages(output: str, rubric: str) -> list[Any]:
    from llmcli.core.messages import Message

    user = f"<output>\n{output}\n</output>\n\n<rubric>\n{rubric}\n</rubric>"
    return [Message(role="system", content=RUBRIC_SYSTEM), Message(role="user", content=user)]


def parse_verdict(text: str) -> tuple[bool, float, str]:
    """The grader's JSON verdict; a reply that is not one fails the assertion, saying so."""
    from llmcli.exchange.schema import parse_document

    doc = parse_document(text.strip())
    if doc is None:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            doc = parse_document(text[start:end + 1])
    if not isinstance(doc, dict) or not isinstance(doc.get("pass"), bool):
        shown = " ".join(text.split())[:80]
        return False, 0.0, f"the grader's reply was not a verdict: {shown!r}"
    score = doc.get("score")
    score = float(score) if isinstance(score, int | float) else (1.0 if doc["pass"] else 0.0)
    return doc["pass"], max(0.0, min(1.0, score)), str(doc.get("reason") or "")


class ModelGraders:
    """Graders and embedders resolved once (on the calling thread), used from workers."""

    def __init__(self, registry: Registry, ask: Callable[..., Any]):
        self.registry = registry
        self.ask = ask
        self._embedders: dict[str, tuple[str, Any]] = {}
        self._graders: dict[str, Any] = {}
        self._lock = threading.Lock()

    def prepare_grader(self, spec: str) -> Any:
        """The grader's ModelRef, resolved once."""
        if spec not in self._graders:
            self._graders[spec] = self.registry.resolve(spec)
        return self._graders[spec]

    def prepare_embedder(self, spec: str) -> None:
        from llmcli.exchange.request import resolve_embedding

        if spec not in self._embedders:
            _, name, provider = resolve_embedding(self.registry, spec)
            self._embedders[spec] = (name, provider)

    def rubric(self, output: str, rubric: str, spec: str | None) -> tuple[bool, float, str]:
        if spec is None or spec not in self._graders:
            raise InvalidInput("llm-rubric needs a grading model",
                               hint="pass --grader MODEL or give the assertion a provider")
        response: Response = self.ask(self._graders[spec], rubric_messages(output, rubric),
                                      {"temperature": 0}, "grader")[0]
        return parse_verdict(response.text)

    def similarity(self, text: str, expected: list[str], spec: str | None) -> list[float]:
        if spec is None or spec not in self._embedders:
            raise InvalidInput("similar needs an embedding model", hint="pass --embedder MODEL")
        name, provider = self._embedders[spec]
        with self._lock:  # the local embedder is one model in memory
            vectors = provider.embed([text, *expected], name)
        return [cosine(vectors[0], v) for v in vectors[1:]]

