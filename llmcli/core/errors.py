"""One error taxonomy for every provider, each class with its own exit code.

    LlmcliError
    ├── InvalidInput          2   bad option, empty prompt, bad UTF-8 on stdin...
    ├── MissingKey            3   no API key configured for a provider that needs one
    ├── AuthError             4   the provider refused the key
    ├── UnknownModel          5   unknown provider, model or alias
    │   └── RetiredModel      5   a model its provider has shut down (names the replacement)
    ├── RateLimited           6   429 / RESOURCE_EXHAUSTED after retries
    ├── TimeoutError_         7   connect or read timeout
    ├── Unreachable           8   connection refused, DNS, proxy
    ├── ContextTooLong        9   prompt longer than the model's window
    ├── ProviderError        10   any other failure reported by the provider
    ├── ContentBlocked       11   a safety filter stopped the reply
    ├── StorageError         12   the logs database cannot be read or written
    │   └── OutputFailed     12   stdout or an output file on a full or read-only device
    ├── Unsupported          13   a capability the provider does not have
    ├── LocalModelError      14   missing/corrupt GGUF, unsupported architecture, cache problems
    ├── SchemaMismatch       15   a reply that is not JSON or does not validate against --schema
    │   (16: `compare`/`batch` whose failed cells differ in kind; exchange/outcome.py)
    ├── ThresholdFailed      17   `eval`: a pass rate or a test's threshold did not hold
    ├── ToolError            18   a tool, --functions file or MCP server the user must fix
    ├── FetchFailed          19   a -f URL could not be fetched (status, timeout, too large)
    ├── Interrupted         130   Ctrl-C (SIGTERM, SIGHUP: 143, 129)
    └── OutputClosed        141   stdout's reader went away (`| head`): the shell's SIGPIPE status

Messages are one line and say what to do. They never contain an API key: adapters build
them from status codes and provider messages, and `redact` scrubs anything key-shaped.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any


@cache
def _key_patterns() -> list[re.Pattern[str]]:
    # Compiled on first use: every command imports this module, few ever redact.
    return [
        re.compile(r"\b(sk|gsk|sk-proj|sk-ant)[-_][A-Za-z0-9_\-]{8,}"),
        re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),
        re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{8,}"),
        re.compile(r"(?i)(x-goog-api-key['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9_\-]{8,}"),
    ]


_known_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a key so that `redact` removes it wherever it shows up."""
    if secret and len(secret) >= 4:
        _known_secrets.add(secret)


def redact(text: str) -> str:
    """Remove API keys (known ones and key-shaped strings) from text meant for people or logs."""
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    for pattern in _key_patterns():
        text = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + "***", text)
    return text


def mask(secret: str) -> str:
    """Show a key the way `keys list` does: a hint of its start and end, never the whole."""
    if len(secret) <= 8:
        return "***"
    return f"{secret[:3]}…{secret[-4:]}"


class LlmcliError(Exception):
    """Base of every error a user may see. `exit_code` is what the process exits with."""

    exit_code = 1
    kind = "error"

    def __init__(
        self, message: str, *, hint: str | None = None, debug: dict[str, Any] | None = None
    ):
        self.message = redact(message.strip().splitlines()[0] if message.strip() else self.kind)
        self.hint = redact(hint) if hint else None
        # Request id, status, error body, rate-limit headers: shown only with --debug.
        self.debug = {k: redact(str(v)) for k, v in (debug or {}).items()}
        # The exchange that failed, when one was under way (its partial text, its log id).
        self.response: Any = None
        super().__init__(self.message)

    def one_line(self, more: str | None = None) -> str:
        """The message a user sees: what went wrong, then what to do (`more`: one more thing
        to do, joined into the same parentheses, never a second pair)."""
        hint = "; ".join(h for h in (self.hint, more) if h)
        return f"{self.message} ({hint})" if hint else self.message

    def retry_note(self) -> str:
        """The line shown while the exchange is retried after this error."""
        return self.one_line()


class InvalidInput(LlmcliError):
    exit_code = 2
    kind = "invalid_input"


class MissingKey(LlmcliError):
    exit_code = 3
    kind = "missing_key"


class AuthError(LlmcliError):
    exit_code = 4
    kind = "auth"


class UnknownModel(LlmcliError):
    exit_code = 5
    kind = "unknown_model"


class RetiredModel(UnknownModel):
    kind = "retired_model"


class RateLimited(LlmcliError):
    exit_code = 6
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        self.retry_after = retry_after
        super().__init__(message, **kw)

    def retry_note(self) -> str:
        return self.message  # the hint says when to retry: the retry line says it already


class TimeoutError_(LlmcliError):
    exit_code = 7
    kind = "timeout"


class Unreachable(LlmcliError):
    exit_code = 8
    kind = "unreachable"


class ContextTooLong(LlmcliError):
    exit_code = 9
    kind = "context_too_long"


class ProviderError(LlmcliError):
    exit_code = 10
    kind = "provider_error"

    def __init__(
        self, message: str, *, status: int | None = None, retryable: bool = False, **kw: Any
    ):
        self.status = status
        self.retryable = retryable
        super().__init__(message, **kw)


class ContentBlocked(LlmcliError):
    exit_code = 11
    kind = "content_blocked"


class StorageError(LlmcliError):
    exit_code = 12
    kind = "storage"


class OutputFailed(StorageError):
    """An output (stdout, a file) could not be written: a full or read-only device."""


class Unsupported(LlmcliError):
    exit_code = 13
    kind = "unsupported"


class LocalModelError(LlmcliError):
    exit_code = 14
    kind = "local_model"


class SchemaMismatch(LlmcliError):
    exit_code = 15
    kind = "schema_mismatch"


class ThresholdFailed(LlmcliError):
    """`llmcli eval` ran, and some prompt x model did not reach the pass rate asked for."""

    exit_code = 17
    kind = "threshold_failed"


class ToolError(LlmcliError):
    """A tool or MCP server the user must fix: an unknown tool, a --functions file that does
    not load, an MCP server that cannot be reached, the chain limit reached."""

    exit_code = 18
    kind = "tool"


class FetchFailed(LlmcliError):
    """A fragment's URL could not be fetched: an error status, a timeout, a refused
    connection, a body over the size cap. Not the model provider's failure (7, 8, 10)."""

    exit_code = 19
    kind = "fetch_failed"


class Interrupted(LlmcliError):
    exit_code = 130
    kind = "interrupted"


class OutputClosed(LlmcliError):
    """The reader of standard output left (`| head`). Not worth a message: the command ends
    quietly with the status a shell gives a process killed by SIGPIPE."""

    exit_code = 141
    kind = "output_closed"


def output_failure(exc: BaseException, name: str = "standard output") -> LlmcliError | None:
    """What a failed write to an output means: a closed pipe (`OutputClosed`), a full or
    read-only device (`StorageError`, exit 12); None when `exc` is not an output failure."""
    import errno

    if isinstance(exc, OutputClosed | OutputFailed):  # already said (Rich's closed pipe)
        return exc
    if isinstance(exc, BrokenPipeError):
        return OutputClosed(f"{name} was closed by its reader")
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS,
                                                   errno.EIO, errno.EFBIG):
        what = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                errno.EROFS: "the device is read-only"}.get(exc.errno, exc.strerror or str(exc))
        err = OutputFailed(f"could not write to {name}: {what}",
                           hint="free some space or write somewhere else")
        err.__cause__ = exc
        return err
    return None


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised on the main thread like Ctrl-C so that every path that keeps
    a partial reply on Ctrl-C keeps it here too. The process exits 128 + the signal's number
    (143, 129), as a shell reports a process a signal ended."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"terminated by signal {signum}")


def is_retryable(err: BaseException) -> bool:
    """True for the failures worth another attempt: 408, 429, 5xx, timeouts, connection errors."""
    if isinstance(err, RateLimited | TimeoutError_ | Unreachable):
        return True
    return isinstance(err, ProviderError) and err.retryable
