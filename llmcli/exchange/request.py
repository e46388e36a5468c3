"""Building a request: resolve the model, validate the options against its provider, and
write the `ChatRequest`. The only place in llmcli that constructs one.

Request features (a JSON schema for structured output, tools, attachments) join the request
here, in `build_request`, once they exist: each becomes a keyword of that function, checked
against the provider's capabilities, so every command gets it at once. Reasoning settings and
service tiers are provider options, validated here like the others; the response cache looks
the finished request up in exchange/cache.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.core.attachments import Attachment
    from llmcli.core.fragments import Fragment
    from llmcli.core.messages import ChatRequest, Message
    from llmcli.core.options import Options
    from llmcli.core.registry import ModelRef, Registry
    from llmcli.core.tools import ToolSpec


def options_model(ref: ModelRef) -> type[Options]:
    """The options class of the model's provider (extra=forbid: a typo is an error)."""
    from llmcli.core.registry import provider_class

    return provider_class(ref.adapter).options_model


def validate_options(ref: ModelRef, values: Mapping[str, Any]) -> Options:
    """`values` (from -o pairs, a template, a saved conversation) checked for this model; an
    option another provider takes is refused naming the providers that take it."""
    from llmcli.core.options import validate_options as validate
    from llmcli.core.registry import option_refused, provider_class, providers_taking

    cls = provider_class(ref.adapter)
    model = cls.options_model
    for name in values:
        # a named endpoint (ollama on the openai adapter) takes what the provider's own API refuses
        own_api = ref.provider == cls.name
        if (name not in model.model_fields and providers_taking(name)) or (
                own_api and name in cls.refused_options):
            raise option_refused(ref.provider, name)
    return validate(dict(values), model)


def accepted_options(ref: ModelRef, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values this model's provider takes, and the names of those it refuses."""
    from llmcli.core.errors import InvalidInput

    kept: dict[str, Any] = {}
    refused: list[str] = []
    for name, value in values.items():
        try:
            validate_options(ref, {name: value})
            kept[name] = value
        except InvalidInput:
            refused.append(name)
    return kept, refused


def build_request(
    ref: ModelRef,
    messages: Sequence[Message],
    options: Options | Mapping[str, Any] | None = None,
    *,
    raw: bool = False,
    schema: dict[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
    regex: str | None = None,
    fragments: Sequence[Fragment] = (),
    attachments: Sequence[Attachment] = (),
    earlier_fragments: Sequence[Fragment] = (),
    tools: Sequence[ToolSpec] | None = None,
) -> ChatRequest:
    """The request for `ref`; `options` already validated (an `Options`) or raw values.

    `fragments` (-f, --sf) join the last user message (or the system prompt, role "system") as
    labelled blocks; `earlier_fragments` are those already in the messages (a chat's history),
    named so the log keeps their text once. `attachments` join the last user message; a model
    that cannot take one is refused with the names of models that can.

    `schema` (already bounded by exchange/schema.parse_schema) asks for structured output:
    providers with a native mode for this model receive it as is; for the others `warn` gets
    one line and the schema joins the system prompt (instruct, then validate). `tools` are
    refused for a provider without tool calling, naming those that have it."""
    from llmcli.core.messages import ChatRequest
    from llmcli.core.options import Options
    from llmcli.core.registry import provider_class

    if not isinstance(options, Options):
        options = validate_options(ref, options or {})
    messages = list(messages)
    if raw and not provider_class(ref.adapter).completion_mode:
        from llmcli.core.errors import Unsupported
        from llmcli.core.registry import provider_names

        takers = [n for n in provider_names() if provider_class(n).completion_mode]
        raise Unsupported(f"{ref.provider} has no completion mode for --raw",
                          hint=f"providers that have it: {', '.join(takers)}")
    if fragments:
        from llmcli.exchange.inputs import with_fragments

        messages = with_fragments(messages, fragments)
    if attachments:
        from llmcli.exchange.inputs import check_attachments, with_attachments

        check_attachments(ref, attachments)
        messages = with_attachments(messages, attachments)
    if regex is not None and not getattr(provider_class(ref.adapter), "native_grammar", False):
        from llmcli.core.errors import Unsupported

        raise Unsupported(f"{ref.provider} cannot constrain a reply to --regex or --choice",
                          hint="use -m local, or --schema with an enum")
    if schema is not None and not schema_native(ref):
        messages = _with_schema_instruction(messages, schema)
        if warn is not None:
            warn(f"{ref.provider}:{ref.model} has no native structured output; "
                 "asking for JSON in the prompt and validating the reply")
    if tools:
        check_tools(ref)
    return ChatRequest(model=ref.model, messages=messages, options=options, raw=raw,
                       json_schema=schema, regex=regex,
                       fragments=_distinct([*earlier_fragments, *fragments]),
                       tools=list(tools) if tools else None)


def _distinct(fragments: list[Fragment]) -> list[Fragment]:
    from llmcli.core.fragments import dedupe

    return dedupe(fragments) if fragments else []


def check_tools(ref: ModelRef) -> None:
    """Refuse tools for a provider that cannot call them (exit 13), naming those that can."""
    from llmcli.core.errors import Unsupported
    from llmcli.core.provider import Capability
    from llmcli.core.registry import provider_class, providers_with

    if Capability.TOOLS not in provider_class(ref.adapter).capabilities:
        others = ", ".join(providers_with(Capability.TOOLS))
        raise Unsupported(f"{ref.provider} cannot call tools (-T, --functions)",
                          hint=f"providers that can: {others}")


def schema_native(ref: ModelRef) -> bool:
    """Whether this model takes a JSON Schema through its provider's own mechanism."""
    from llmcli.core.registry import provider_class

    native = getattr(provider_class(ref.adapter), "native_schema", None)
    return bool(native and native(ref.model))


def _with_schema_instruction(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    from llmcli.core.messages import Message
    from llmcli.exchange.schema import instruction

    text = instruction(schema)
    if messages and messages[0].role == "system":
        return [Message(role="system", content=f"{messages[0].content}\n\n{text}"),
                *messages[1:]]
    return [Message(role="system", content=text), *messages]


def resolve_request(
    registry: Registry,
    spec: str | None,
    messages: Sequence[Message],
    values: Mapping[str, Any] | None = None,
    *,
    raw: bool = False,
    schema: dict[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
    regex: str | None = None,
    fragments: Sequence[Fragment] = (),
    attachments: Sequence[Attachment] = (),
    tools: Sequence[ToolSpec] | None = None,
) -> tuple[ModelRef, ChatRequest]:
    """`-m SPEC` resolved (None: the default model) and its request built."""
    ref = registry.resolve(spec)
    return ref, build_request(ref, messages, values, raw=raw, schema=schema, warn=warn,
                              regex=regex, fragments=fragments, attachments=attachments,
                              tools=tools)


def resolve_embedding(registry: Registry, spec: str | None) -> tuple[ModelRef, str, object]:
    """(ref, embedding model name, provider) for -m; a bare provider name means its default
    embedding model, not its default chat model. A provider without embeddings is refused
    with the Unsupported error naming those that have them."""
    from llmcli.core.errors import Unsupported
    from llmcli.core.provider import Capability
    from llmcli.core.registry import provider_class, providers_with

    ref = registry.resolve(spec)
    cls = provider_class(ref.adapter)
    if Capability.EMBED not in cls.capabilities:
        others = ", ".join(providers_with(Capability.EMBED))
        raise Unsupported(f"provider '{ref.provider}' has no embeddings",
                          hint=f"providers that have them: {others}")
    name = ref.model
    explicit = spec is not None and ":" in spec
    if not explicit and getattr(cls, "default_embed_model", None):
        name = cls.default_embed_model  # type: ignore[attr-defined]
    return ref, name, registry.provider(ref)


def embedder_identity(ref: ModelRef, name: str, provider: object) -> str:
    """What locks an index and keys the embedding cache: 'provider:model[#revision]', the
    revision naming how a provider computes its vectors (the local embedder's, say)."""
    from llmcli.core.embedder_id import embedder_key

    return embedder_key(ref.provider, name, str(getattr(provider, "embed_revision", "") or ""))
