"""From the last hidden state to text: the final norm and the projection onto the vocabulary,
softmax, temperature / top-k / top-p, the sampled token, and the loop that feeds it back."""

from __future__ import annotations

import numpy as np

from llmcli.learn.run import LOOP_TOKENS, TourRun
from llmcli.learn.step import Step, Table, num, pct, vec

TOP = 10


def _softmax(logits: np.ndarray) -> np.ndarray:
    from llmcli.local.sampling import log_softmax

    return np.exp(log_softmax(logits))


def _top(values: np.ndarray, n: int = TOP) -> list[int]:
    from llmcli.local.sampling import top_entries

    return [i for i, _ in top_entries(values, n)]


def output(run: TourRun) -> Step:
    c, t = run.config, run.trace
    residual = t.hidden_states[-1, -1]
    logits = t.logits
    top = _top(logits)
    rows = [[rank + 1, run.piece(i), i, num(logits[i], 3)] for rank, i in enumerate(top)]
    return Step("output", {
        "d": c.d_model, "vocab": c.vocab_size, "piece": run.pieces[-1],
        "res_norm": num(np.linalg.norm(residual), 1),
        "final_norm": num(np.linalg.norm(t.final_hidden), 2),
        "max": num(logits.max(), 2), "min": num(logits.min(), 2),
        "mean": num(logits.mean(), 2), "top_piece": run.piece(top[0]),
        "mults": f"{c.vocab_size * c.d_model / 1e6:.0f}",
    }, [Table("top_logits", ["rank", "piece", "id", "logit"], rows, highlight=0)],
        {"vocab_size": c.vocab_size, "final_hidden_first": vec(t.final_hidden, 8, 4),
         "top": [{"id": i, "piece": run.piece(i), "logit": float(logits[i])} for i in top],
         "max": float(logits.max()), "min": float(logits.min()), "mean": float(logits.mean())})


def softmax(run: TourRun) -> Step:
    logits = run.trace.logits
    probs = _softmax(logits)
    top = _top(probs)
    rows = [[rank + 1, run.piece(i), num(logits[i], 3), num(np.exp(logits[i] - logits.max()), 4),
             pct(probs[i])] for rank, i in enumerate(top)]
    nz = probs[probs > 0]
    entropy = float(-(nz * np.log2(nz)).sum())
    return Step("softmax", {
        "top_piece": run.piece(top[0]), "top_p": pct(probs[top[0]]),
        "top10": pct(probs[top].sum()), "entropy": num(entropy, 2),
        "perplexity": num(2 ** entropy, 1), "vocab": run.config.vocab_size,
    }, [Table("top_probs", ["rank", "piece", "logit", "exp_shift", "p"], rows, highlight=0)],
        {"top": [{"id": i, "piece": run.piece(i), "prob": float(probs[i])} for i in top],
         "entropy_bits": entropy, "sum": float(probs.sum())})


def sampling(run: TourRun) -> Step:
    p = run.params
    stages = run.sampler.stages(run.trace.logits, run.ids)
    order = ["softmax", "temperature", "top_k", "top_p"]
    top = _top(stages["softmax"], 12)
    rows = [[run.piece(i), *[pct(stages[s][i]) for s in order]] for i in top]
    kept = {s: int(np.count_nonzero(stages[s])) for s in ("top_k", "top_p")}
    probs = stages["softmax"]
    sweep = []
    logits = run.trace.logits.astype(np.float64)
    for temp in (0.2, 0.5, 1.0, 1.5, 2.0):
        z = _softmax(logits / temp)
        sweep.append([temp, pct(z[top[0]]), pct(z[top[1]]), pct(z[top[:10]].sum())])
    return Step("sampling", {
        "temperature": p.temperature, "top_k": p.top_k, "top_p": p.top_p,
        "kept_k": kept["top_k"], "kept_p": kept["top_p"],
        "vocab": run.config.vocab_size, "first": run.piece(top[0]),
        "second": run.piece(top[1]), "p_first": pct(probs[top[0]]),
        "p_first_t": pct(stages["temperature"][top[0]]),
        "p_first_final": pct(stages["top_p"][top[0]]),
        "user_set": ", ".join(f"{k}={v}" for k, v in run.options.items())
        or {"en": "nothing, these are the tour's defaults", "pt": "nada, estes são os padrões "
            "do tour"},
    }, [Table("sampling_stages", ["piece", *order], rows),
        Table("temperature_sweep", ["temperature", "=" + run.piece(top[0]),
                                    "=" + run.piece(top[1]), "top10"], sweep)],
        {"params": {"temperature": p.temperature, "top_k": p.top_k, "top_p": p.top_p,
                    "seed": p.seed},
         "kept": kept,
         "tokens": [{"id": i, "piece": run.piece(i),
                     **{s: float(stages[s][i]) for s in order}} for i in top]})


def _draw(run: TourRun) -> tuple[int, float]:
    """The sampled token of the tour: one draw of the seeded sampler, taken once."""
    if run.drawn is None:
        token, logprob, _ = run.sampler.sample(run.trace.logits, run.ids)
        run.drawn = (token, logprob)
    return run.drawn


def sampled(run: TourRun) -> Step:
    token, logprob = _draw(run)
    logits = run.trace.logits
    greedy = int(np.argmax(logits))
    final = run.sampler.stages(logits, run.ids)["top_p"]
    return Step("sampled", {
        "piece": run.piece(token), "id": str(token), "p_model": pct(np.exp(logprob)),
        "p_final": pct(final[token]), "greedy": run.piece(greedy),
        "same": "=" if token == greedy else "≠", "seed": run.params.seed,
        "text": _oneline(run.text + run.tokenizer.decode([token], special=False)),
    }, [], {"id": token, "piece": run.piece(token), "logprob": logprob,
            "prob_after_filters": float(final[token]), "greedy_id": greedy,
            "seed": run.params.seed})


def loop(run: TourRun) -> Step:
    """Feed the sampled token back and go on: each new token is one more position in the KV
    cache the traced pass filled, so the prefix is never recomputed."""
    token, logprob = _draw(run)
    history = [*run.ids, token]
    rows = [[1, run.piece(token), pct(np.exp(logprob)),
             _oneline(run.tokenizer.decode([token], special=False))]]
    steps = [{"id": token, "piece": run.piece(token), "logprob": logprob}]
    for k in range(LOOP_TOKENS):
        logits = run.trace.continue_with(run.model, [token])
        token, logprob, _ = run.sampler.sample(logits, history)
        history.append(token)
        rows.append([k + 2, run.piece(token), pct(np.exp(logprob)),
                     _oneline(run.tokenizer.decode(history[len(run.ids):], special=False))])
        steps.append({"id": token, "piece": run.piece(token), "logprob": logprob})
    generated = run.tokenizer.decode(history[len(run.ids):], special=False)
    return Step("loop", {
        "n": run.n, "extra": LOOP_TOKENS + 1, "text": _oneline(run.text + generated),
        "positions": len(history) - 1,
    }, [Table("loop_tokens", ["step", "piece", "p", "so_far"], rows)],
        {"generated": steps, "ids": history, "text": run.text + generated})


def _oneline(text: str) -> str:
    """Generated text on one line: newlines shown as ⏎ so tables and sentences stay whole."""
    return text.replace("\r", "").replace("\n", "⏎")
