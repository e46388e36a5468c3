"""Tools a model may call: the built-ins, a --functions file, MCP servers, and the toolbox that
runs them with a time limit (the loop that calls them is exchange/tool_loop.py)."""
