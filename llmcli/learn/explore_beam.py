"""`llmcli next --beam N`: beam search step by step, beside greedy and sampled decoding.

Each step lists the beams kept and the best extensions pruned, with their cumulative
log-probabilities; at the end the best beam is set beside the greedy continuation and a
sampled one (the `-o` sampling options), all scored by the same rule, so a learner sees what
searching wider buys over taking the top token each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_BEAM_STEPS = 10


@dataclass
class Path:
    """One continuation as shown: its text, ids, log-prob, normalised score, how it ended."""

    label: str
    text: str
    ids: list[int]
    logprob: float
    score: float
    finished: bool

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text, "ids": self.ids,
                "logprob": round(self.logprob, 6), "score": round(self.score, 6),
                "finished": self.finished}


@dataclass
class BeamStepView:
    index: int
    kept: list[Path]
    pruned: list[Path]


@dataclass
class BeamView:
    model: str
    prompt: str
    width: int
    length_penalty: float
    max_tokens: int
    options: dict[str, Any]
    steps: list[BeamStepView] = field(default_factory=list)
    best: Path | None = None
    others: list[Path] = field(default_factory=list)  # greedy, sampled
    stopped: str = "length"

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "prompt": self.prompt, "beam": self.width,
            "length_penalty": self.length_penalty, "max_tokens": self.max_tokens,
            "options": self.options, "stopped": self.stopped,
            "steps": [{"step": s.index, "kept": [p.to_json() for p in s.kept],
                       "pruned": [p.to_json() for p in s.pruned]} for s in self.steps],
            "best": self.best.to_json() if self.best else None,
            "compared": [p.to_json() for p in self.others],
        }


def beam_view(model: Any, tokenizer: Any, prompt: str, width: int, params: Any, *,
              model_name: str, options: dict[str, Any], max_tokens: int = DEFAULT_BEAM_STEPS,
              length_penalty: float | None = None) -> BeamView:
    """Run beam search, greedy decoding and sampling on `prompt` (BOS added, no template)."""
    from llmcli.local.beam import DEFAULT_LENGTH_PENALTY, Hypothesis, beam_search
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    penalty = DEFAULT_LENGTH_PENALTY if length_penalty is None else length_penalty
    stops = frozenset(tokenizer.eot_ids)
    ids = tokenizer.encode(prompt, add_bos=True)
    session = model.new_session()
    result = beam_search(session, ids, width, max_tokens, stops, length_penalty=penalty)
    start = session.pos

    def path(label: str, h: Hypothesis) -> Path:
        text = "".join(tokenizer.token_texts(list(h.ids))).replace("\n", "↵")
        return Path(label, text, list(h.ids), h.logprob, h.score(penalty), h.finished)

    view = BeamView(model_name, prompt, width, penalty, max_tokens, dict(options),
                    stopped=result.stopped)
    view.steps = [BeamStepView(s.index, [path("kept", h) for h in s.kept],
                               [path("pruned", h) for h in s.pruned]) for s in result.steps]
    view.best = path("beam", result.best)
    for label, sampling in (("greedy", SamplingParams(temperature=0)), ("sampled", params)):
        session.rewind(start)
        tokens = list(generate(session, [], Sampler(sampling), max_tokens, stops))
        finished = bool(tokens) and tokens[-1].is_stop
        h = Hypothesis(tuple(t.id for t in tokens), tuple(t.logprob for t in tokens), finished)
        view.others.append(path(label, h))
    return view
