"""llmcli: a command-line LLM playground."""

__version__ = "0.1.0"
