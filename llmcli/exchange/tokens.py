"""Context-window accounting: how many tokens a conversation takes, and whether it fits.

Counting is exact when the provider can count (the local tokenizer, Gemini's count_tokens)
and an estimate of chars/4 otherwise, always labelled as such. An exact count may cost a
network round trip, so it is asked for only when the estimate comes near the window: far
from the limit the estimate is enough to know a request will not fail for its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcli.core.errors import LlmcliError
from llmcli.core.provider import Capability

if TYPE_CHECKING:
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.provider import Provider

# Role markers and separators a chat template adds around each message.
PER_MESSAGE = 4
ESTIMATE = "estimate, chars/4"
# Below this share of the window the estimate decides; above it an exact count is asked for.
EXACT_ABOVE = 0.25


def estimate(text: str) -> int:
    """Tokens in `text` by the usual rule of thumb: one token per four characters."""
    return (len(text) + 3) // 4


@dataclass(frozen=True)
class Count:
    """A token count and how it was obtained; `exact` is False for estimates."""

    tokens: int
    exact: bool
    source: str

    def __str__(self) -> str:
        return f"{self.tokens:,}" if self.exact else f"~{self.tokens:,}"


@dataclass(frozen=True)
class Fit:
    """Whether a request fits the window; `drop` is how many oldest turns must go to make it fit.

    `drop` is None when even the new message alone (with the system prompt) is too long.
    """

    window: int | None
    needed: Count
    reserve: int
    drop: int | None

    @property
    def fits(self) -> bool:
        return self.drop == 0


class TokenMeter:
    """Counts tokens for one provider and model, caching per message text."""

    def __init__(self, provider: Provider, model: str):
        self.provider = provider
        self.model = model
        self.can_count = provider.has(Capability.COUNT_TOKENS) or provider.has(Capability.TOKENIZE)
        self.source = self._source_name() if self.can_count else ESTIMATE
        self._exact: dict[str, int] = {}
        self._broken = False  # the counter failed once: stop asking, estimate instead
        # Tokens the provider adds around the messages (a chat template, a primer), learned
        # from the usage it reports; only exact counts carry it.
        self.overhead = 0
        self._observed: tuple[list[Message], int] | None = None

    def observe(self, messages: list[Message], input_tokens: int | None) -> None:
        """Remember what a request held and what the provider said it cost (for `overhead`)."""
        if self.can_count and input_tokens is not None:
            self._observed = (messages, input_tokens)

    def _calibrate(self) -> None:
        if self._observed is None:
            return
        messages, reported = self._observed
        self._observed = None
        counted, exact = self.tokens(messages, exact=True, framed=False)
        if exact:
            self.overhead = max(0, reported - counted)

    def _source_name(self) -> str:
        if self.provider.has(Capability.TOKENIZE):
            return f"{self.provider.settings.name} tokenizer"
        return f"{self.provider.settings.name} count_tokens"

    def exact_text(self, text: str) -> int | None:
        """The provider's count for one text, or None when it cannot count."""
        if not self.can_count or self._broken:
            return None
        if text in self._exact:
            return self._exact[text]
        try:
            if self.provider.has(Capability.TOKENIZE):
                n = len(self.provider.tokenize(text, self.model))
            else:
                n = int(self.provider.count_tokens(text, self.model))
        except (LlmcliError, NotImplementedError):
            self._broken = True
            return None
        self._exact[text] = n
        return n

    def tokens(
        self, messages: list[Message], *, exact: bool, framed: bool = False
    ) -> tuple[int, bool]:
        """Tokens of some messages with the per-message overhead, and whether the count is exact.

        `framed` adds what the provider puts around a whole request (learned, exact only).
        """
        if exact and self.can_count:
            per = [self.exact_text(m.content) for m in messages]
            if None not in per:
                if framed:
                    self._calibrate()
                total = sum(n + PER_MESSAGE for n in per if n is not None)
                return total + (self.overhead if framed else 0), True
        return sum(estimate(m.content) + PER_MESSAGE for m in messages), False

    def count(self, messages: list[Message], *, exact: bool = False) -> Count:
        """Tokens of a message list: exact when asked and possible, an estimate otherwise."""
        n, is_exact = self.tokens(messages, exact=exact, framed=True)
        return Count(n, is_exact, self.source if is_exact else ESTIMATE)

    def fit(
        self, head: list[Message], turns: list[list[Message]], tail: list[Message],
        window: int | None, reserve: int = 0,
    ) -> Fit:
        """Does head (system) + turns + tail (the new message) fit `window` with `reserve` left?

        When it does not, find the fewest oldest turns whose removal makes it fit.
        """
        rough = self.count(head + [m for t in turns for m in t] + tail)
        if window is None:
            return Fit(None, rough, reserve, 0)
        want_exact = self.can_count and rough.tokens + reserve > window * EXACT_ABOVE
        # the request's framing is counted once, with the new message
        parts = [self.tokens(head, exact=want_exact),
                 self.tokens(tail, exact=want_exact, framed=True)]
        per_turn = [self.tokens(t, exact=want_exact) for t in turns]
        all_exact = want_exact and all(e for _, e in parts + per_turn)
        total = sum(n for n, _ in parts + per_turn)
        needed = Count(total, all_exact, self.source if all_exact else ESTIMATE)
        if total + reserve <= window:
            return Fit(window, needed, reserve, 0)
        running = total
        for k, (n, _) in enumerate(per_turn, start=1):
            running -= n
            if running + reserve <= window:
                return Fit(window, needed, reserve, k)
        return Fit(window, needed, reserve, None)


# Far past the window the estimate alone decides: no text has fewer tokens than a third of
# chars/4, and an exact count of megabytes (or a network round trip) is not worth making.
SURELY_OVER = 3


def context_error(
    provider: Provider, request: ChatRequest, window: int | None
) -> LlmcliError | None:
    """The one context pre-check of every exchange: a ContextTooLong (exit 9) when the request
    cannot fit `window` (with its max_tokens kept for the reply), else None. Nothing is sent."""
    from llmcli.core.errors import ContextTooLong

    if not window:
        return None
    messages = list(request.messages)
    reserve = request.options.max_tokens or 0
    meter = TokenMeter(provider, request.model)
    rough = meter.count(messages)
    if rough.tokens > SURELY_OVER * window:
        needed = rough
    else:
        fit = meter.fit([], [], messages, window, reserve=reserve)
        if fit.fits:
            return None
        needed = fit.needed
    how = "counted" if needed.exact else "estimated, chars/4"
    kept = f" plus {reserve:,} kept for the reply (max_tokens)" if reserve else ""
    return ContextTooLong(
        f"not sent: the request is {needed.tokens:,} tokens ({how}){kept}, more than "
        f"{request.model}'s context window of {window:,}",
        hint="shorten the input, or use a model with a larger window (llmcli models)",
    )
