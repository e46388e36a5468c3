"""The interactive chat: conversation state, slash commands, and the prompt_toolkit REPL."""
