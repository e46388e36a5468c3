"""Next-token distributions: the top tokens with their probability after each sampling
transform (softmax, repetition penalty, temperature, top-k, top-p, min-p) and the token the
sampler picks; `steps` generates that many tokens, showing the distribution at each.

For the local model the engine's own Sampler computes the stages and the pick, so what is
shown is what generation with the same options and seed would do. For a remote provider that
returns log-probabilities only the model's distribution (its top alternatives) is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from llmcli.core.errors import InvalidInput

# The engine's stage names, and which option switches each one on.
STAGE_OPTION = {"penalty": "repetition_penalty", "temperature": "temperature",
                "top_k": "top_k", "top_p": "top_p", "min_p": "min_p"}
MAX_STEPS = 256


@dataclass
class Row:
    id: int | None
    piece: str
    probs: dict[str, float]


@dataclass
class Step:
    index: int
    stages: list[str]
    top: list[Row]
    chosen_id: int | None = None
    chosen_piece: str = ""
    chosen_prob: float | None = None  # under the final stage's distribution
    note: str | None = None
    # With a grammar (--schema): how many tokens its mask removed, and which of the model's
    # own top candidates were among them.
    masked: int | None = None
    masked_top: list[str] = field(default_factory=list)


@dataclass
class NextResult:
    model: str
    prompt: str
    options: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt": self.prompt,
            "options": self.options,
            "steps": [
                {
                    "step": s.index,
                    "stages": s.stages,
                    "top": [{"id": r.id, "piece": r.piece, "probs": r.probs} for r in s.top],
                    "chosen": None if s.chosen_id is None and not s.chosen_piece else {
                        "id": s.chosen_id, "piece": s.chosen_piece, "prob": s.chosen_prob},
                    "note": s.note,
                    **({} if s.masked is None else {
                        "grammar": {"removed": s.masked, "removed_top": s.masked_top}}),
                }
                for s in self.steps
            ],
            "text": self.text,
        }


def active_stages(options: dict[str, Any]) -> list[str]:
    """softmax always; then each transform the options switch on, in the engine's order."""
    out = ["softmax"]
    for stage, name in STAGE_OPTION.items():
        value = options.get(name)
        if value is None:
            continue
        if stage == "penalty" and float(value) == 1.0:
            continue
        out.append(stage)
    return out


def local_next(model: Any, tokenizer: Any, prompt: str, params: Any, *, model_name: str,
               options: dict[str, Any], top: int = 10, steps: int = 1,
               grammar: Any = None) -> NextResult:
    """Run the local model on `prompt` (with BOS, as is) and show `steps` sampling steps.
    With a `grammar` (local/grammar.GrammarStage) its mask is a stage of its own."""
    from llmcli.inspect.embeddings import top_k
    from llmcli.local.sampling import Sampler

    check_counts(top, steps)
    ids = tokenizer.encode(prompt, add_bos=True)
    sampler = Sampler(params, grammar=grammar)
    session = model.new_session()
    logits = session.feed(ids)
    decoder = tokenizer.stream_decoder()
    names = active_stages(options)
    if grammar is not None:
        names.insert(1, "grammar")
    result = NextResult(model_name, prompt, dict(options))
    text = ""
    for index in range(steps):
        stages = sampler.stages(logits, session.tokens)
        final = stages[names[-1]]
        first, then = top_k(stages["softmax"], top), top_k(final, top)
        if grammar is not None:  # the mask may leave few tokens: show what can be drawn first
            first, then = [i for i in then if final[i] > 0], first
        shown = list(dict.fromkeys(first + then))[: top]
        shown.sort(key=lambda i: (-final[i], -stages["softmax"][i]))
        token = sampler.sample(logits, session.tokens)[0]
        masked, masked_top = None, []
        if grammar is not None:
            allowed = stages["grammar"] > 0
            masked = int(allowed.size - allowed.sum())
            masked_top = [tokenizer.readable(int(i)) for i in top_k(stages["softmax"], top)
                          if not allowed[i]]
        result.steps.append(Step(
            index=index,
            stages=names,
            top=[Row(int(i), tokenizer.readable(int(i)),
                     {n: round(float(stages[n][i]), 6) for n in names}) for i in shown],
            chosen_id=token,
            chosen_piece=tokenizer.readable(token),
            chosen_prob=round(float(final[token]), 6),
            note=None if index == 0 else f"after {text!r}",
            masked=masked,
            masked_top=masked_top,
        ))
        text += decoder.feed(token)
        if token in tokenizer.eot_ids or index == steps - 1:
            break
        sampler.accept(token)
        logits = session.feed([token])
    result.text = text + decoder.flush()
    return result


def logprob_steps(events: Iterable[Any], *, top: int) -> list[Step]:
    """Steps from a provider's TokenLogprobs events (log-probabilities -> probabilities)."""
    import math

    out = []
    for index, ev in enumerate(events):
        rows = [Row(None, piece, {"logprob": round(math.exp(lp), 6)}) for piece, lp in ev.top[:top]]
        if not any(r.piece == ev.token for r in rows):
            rows.append(Row(None, ev.token, {"logprob": round(math.exp(ev.logprob), 6)}))
        out.append(Step(index, ["logprob"], rows, None, ev.token, round(math.exp(ev.logprob), 6)))
    return out


def check_counts(top: int, steps: int) -> None:
    if top < 1:
        raise InvalidInput("--top must be at least 1")
    if not 1 <= steps <= MAX_STEPS:
        raise InvalidInput(f"--steps must be between 1 and {MAX_STEPS}")
