"""Comparison of models and prompts side by side: the grid, the concurrent runner, run
statistics, word diffs and Elo ratings from blind votes. No rich, no typer, no SDK."""
