"""How a chat becomes the text a local model continues, and where its reply stops.

Three ways, chosen by the model file and the request:

- the model's own chat template (GGUF `tokenizer.chat_template`), rendered with a sandboxed
  jinja2 environment; its control tokens (`<start_of_turn>`...) are parsed as tokens and the
  reply ends at the model's end-of-turn token.
- a transcript, for base models whose file carries no template (the default Gemma 3 270M):
  a short primer with two example exchanges, then `User:` / `Assistant:` turns. The model
  continues the transcript; the reply ends where it starts the next turn, and a mild
  repetition penalty keeps a small model from looping. llama.cpp would instead fall back to a
  foreign template, and the base model answers with nothing or loops.
- completion (`raw`): the text as is, nothing added but the BOS token, no stop strings, no
  repetition penalty unless asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.core.errors import ContextTooLong, InvalidInput
from llmcli.core.events import Event, Finish, TextDelta, TokenLogprobs, Usage

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest
    from llmcli.local.tokenizer import Tokenizer

USER, ASSISTANT = "User:", "Assistant:"
PRIMER = (
    "A conversation between a curious user and a helpful, knowledgeable assistant. "
    "The assistant answers correctly, briefly and to the point."
)
# Two worked exchanges: a 270M base model follows the pattern it has just seen.
EXAMPLES = (
    ("What is the largest planet in the Solar System?", "Jupiter is the largest planet."),
    ("How many legs does a spider have?", "A spider has eight legs."),
)
TRANSCRIPT_STOPS = ("\nUser:", "\nAssistant:", "\nUSER:", "\n\n\n")
TRANSCRIPT_PENALTY = 1.15


@dataclass
class Prompt:
    """What to tokenize and how, plus the format's stop strings and default penalty."""

    text: str
    add_bos: bool = True
    special: bool = False  # parse control-token text into tokens (templates only)
    stop: list[str] = field(default_factory=list)
    repetition_penalty: float | None = None
    kind: str = "raw"  # raw | transcript | template


def build_prompt(
    request: ChatRequest,
    *,
    template: str | None = None,
    bos_token: str = "",
    eos_token: str = "",
    add_bos: bool = True,
) -> Prompt:
    """The prompt for a request: raw text, the model's template, or the transcript."""
    if request.raw:
        text = "\n\n".join(m.content for m in request.messages)
        return Prompt(text=text, add_bos=add_bos, kind="raw")
    if template:
        text = render_template(request, template, bos_token, eos_token)
        # Templates usually write the BOS themselves; a second one confuses the model.
        has_bos = bool(bos_token) and text.startswith(bos_token)
        return Prompt(text=text, add_bos=add_bos and not has_bos, special=True, kind="template")
    return Prompt(
        text=transcript(request),
        add_bos=add_bos,
        stop=list(TRANSCRIPT_STOPS),
        repetition_penalty=TRANSCRIPT_PENALTY,
        kind="transcript",
    )


def transcript(request: ChatRequest) -> str:
    """Primer, examples, the turns so far, and an open `Assistant:` line to continue."""
    lines = [request.system.strip() if request.system else PRIMER, ""]
    for question, answer in EXAMPLES:
        lines += [f"{USER} {question}", f"{ASSISTANT} {answer}", ""]
    for message in request.turns:
        who = USER if message.role == "user" else ASSISTANT
        lines += [f"{who} {message.content.strip()}"]
        if message.role == "assistant":
            lines.append("")
    # No space after the colon: the model's first token carries its own leading space.
    return "\n".join(lines) + f"\n{ASSISTANT}"


def render_template(request: ChatRequest, template: str, bos_token: str, eos_token: str) -> str:
    """Render a GGUF chat template (Hugging Face conventions) in a jinja2 sandbox."""
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise InvalidInput(f"the model's chat template refused the conversation: {message}")

    def strftime_now(fmt: str) -> str:
        import datetime

        return datetime.datetime.now().strftime(fmt)

    # The same environment settings as Hugging Face's apply_chat_template.
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.globals.update(raise_exception=raise_exception, strftime_now=strftime_now)
    messages: list[dict[str, Any]] = [
        {"role": m.role, "content": m.content} for m in request.messages
    ]
    try:
        return env.from_string(template).render(
            messages=messages,
            add_generation_prompt=True,
            bos_token=bos_token,
            eos_token=eos_token,
        )
    except TemplateError as exc:
        raise InvalidInput(
            f"the model's chat template cannot be rendered: {exc}",
            hint="use --raw to send text as is",
        ) from None


class StopMatcher:
    """Streams text while watching for stop strings that may arrive split across tokens.

    `feed` returns the text that is safe to show: anything that could still turn out to be the
    start of a stop string is held back until the next token decides. With `trim`, the reply's
    leading and trailing whitespace is dropped too (a transcript reply starts with a space and
    often ends with the newline before the next turn).
    """

    def __init__(self, stops: list[str] | None, *, trim: bool = False):
        self.stops = [s for s in (stops or []) if s]
        self.trim = trim
        self._held = ""
        self._started = False
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped or not text:
            return ""
        buffer = self._held + text
        cut = min((i for i in (buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._held = ""
            return self._trimmed(buffer[:cut], final=True)
        keep = self._partial_tail(buffer)
        if self.trim:  # whitespace before the held part waits too: it may end the reply
            keep = len(buffer) - len(buffer[: len(buffer) - keep].rstrip())
        self._held = buffer[len(buffer) - keep :] if keep else ""
        return self._trimmed(buffer[: len(buffer) - keep], final=False)

    def flush(self) -> str:
        """At the end of generation: whatever was held back is reply text after all."""
        text, self._held = ("" if self.stopped else self._held), ""
        return self._trimmed(text, final=True)

    def _trimmed(self, text: str, *, final: bool) -> str:
        if not self.trim:
            return text
        if not self._started:
            text = text.lstrip()
            self._started = bool(text)
        return text.rstrip() if final else text

    def _partial_tail(self, buffer: str) -> int:
        """Length of the longest end of `buffer` that begins some stop string."""
        best = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(buffer)), best, -1):
                if buffer.endswith(stop[:k]):
                    best = k
                    break
        return best


# ---------------------------------------------------------------------------------------------
# One exchange on a local engine


def run_chat(
    request: ChatRequest,
    tokenizer: Tokenizer,
    session: Any,
    *,
    defaults: dict[str, Any],
    max_tokens: int,
) -> Iterator[Event]:
    """Format, tokenize, generate and stream one reply on `session` (numpy or llama.cpp).

    The session keeps its KV cache between calls: a conversation that grows turn by turn
    only evaluates what is new since the common prefix with the previous prompt.
    """
    from llmcli.local.generate import generate
    from llmcli.local.sampling import Sampler, SamplingParams

    tok = tokenizer
    prompt = build_prompt(
        request,
        template=tok.chat_template,
        bos_token=tok.piece(tok.bos_id) if tok.bos_id is not None else "",
        eos_token=tok.piece(tok.eos_id) if tok.eos_id is not None else "",
        add_bos=tok.add_bos,
    )
    ids = tok.encode(prompt.text, add_bos=prompt.add_bos, special=prompt.special)
    if not ids:
        raise InvalidInput("the prompt is empty", hint="give some text to continue")
    limit = session.max_context
    if len(ids) > limit:
        raise ContextTooLong(
            f"the prompt has {len(ids)} tokens, {len(ids) - limit} over the context of {limit}",
            hint="shorten it, or raise [providers.local] context_length",
        )
    opts = request.options.set_values()
    penalty = opts.get("repetition_penalty", prompt.repetition_penalty or 1.0)
    chosen = {k: opts[k] for k in ("temperature", "top_k", "top_p", "min_p") if k in opts}
    sampling = {**defaults, **chosen}
    params = SamplingParams(**sampling, repetition_penalty=penalty, seed=opts.get("seed"))
    top_n = opts.get("top_logprobs")
    budget = min(opts.get("max_tokens", max_tokens), limit - len(ids) + 1)
    keep = min(_common_prefix(session.tokens, ids), len(ids) - 1)
    session.rewind(keep)

    decoder = tok.stream_decoder()
    matcher = StopMatcher(prompt.stop + list(opts.get("stop", [])), trim=prompt.kind != "raw")
    produced, reason = 0, "length"
    if opts.get("beam", 1) > 1 and (request.json_schema is not None or request.regex):
        raise InvalidInput("beam search does not combine with --schema",
                           hint="drop -o beam, or --schema")
    if opts.get("beam", 1) > 1:  # the search runs to the end, then its best beam streams
        from llmcli.local.beam import DEFAULT_LENGTH_PENALTY, beam_tokens

        stream = beam_tokens(session, ids[keep:], opts["beam"], budget, tok.eot_ids,
                             length_penalty=opts.get("length_penalty", DEFAULT_LENGTH_PENALTY))
    else:
        sampler = Sampler(params, grammar=grammar_stage(request, tok))
        stream = generate(session, ids[keep:], sampler, budget, tok.eot_ids, top_n or 0)
    for token in stream:
        if token.is_stop:
            reason = "stop"
            break
        produced += 1
        if top_n is not None:
            yield TokenLogprobs(
                token=_text(tok, token.id),
                logprob=token.logprob,
                top=[(_text(tok, i), lp) for i, lp in token.top],
            )
        text = matcher.feed(decoder.feed(token.id))
        if text:
            yield TextDelta(text)
        if matcher.stopped:
            reason = "stop"
            break
    tail = matcher.feed(decoder.flush()) + matcher.flush()
    if tail:
        yield TextDelta(tail)
    yield Usage(input_tokens=len(ids), output_tokens=produced)
    yield Finish(reason)


def grammar_stage(request: ChatRequest, tok: Tokenizer) -> Any:
    """The grammar the reply must follow (structured output, --regex, --choice), or None."""
    if request.json_schema is None and request.regex is None:
        return None
    from llmcli.local.grammar import engine_for

    if request.regex is not None:
        return engine_for(tok).regex(request.regex)
    return engine_for(tok).json_schema(request.json_schema)


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _text(tok: Tokenizer, token_id: int) -> str:
    return tok.token_bytes(token_id).decode("utf-8", "replace")
