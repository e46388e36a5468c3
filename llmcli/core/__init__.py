"""The domain: messages, options, events, errors, the provider protocol, registry and runner.

Nothing in here imports typer, rich or a provider SDK.
"""
