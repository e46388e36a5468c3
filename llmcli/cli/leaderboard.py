"""`llmcli leaderboard`: Elo ratings from the votes of `llmcli compare --blind`."""

from __future__ import annotations

import typer

from llmcli.cli.app import app
from llmcli.cli.context import app_context


@app.command()
def leaderboard(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the standings as JSON."),
    k: float = typer.Option(32.0, "--k", min=1, max=400, help="Elo K-factor."),
) -> None:
    """Rank models by Elo from your blind votes, with the number of votes each took part in.

    Example: llmcli leaderboard   (vote first with: llmcli compare "prompt" -m groq -m gemini
    --blind)
    """
    from llmcli.compare.elo import Vote, ratings
    from llmcli.store.votes import VoteStore
    from llmcli.ui.compare_report import print_leaderboard
    from llmcli.ui.tables import print_json

    app_ctx = app_context(ctx)
    env = app_ctx.env
    rows = VoteStore(app_ctx.logs).all()
    votes = []
    for r in rows:
        try:
            votes.append(Vote(tuple(r["models"]), r["winner"]))
        except ValueError:  # a hand-edited row; one bad vote must not hide the others
            continue
    standings = ratings(votes, k=k)
    if as_json:
        print_json(env, {"votes": len(votes), "k": k, "models": [s.as_dict() for s in standings]})
        return
    if not standings:
        env.stderr.write('no votes yet: vote with  llmcli compare "prompt" -m A -m B --blind\n')
        return
    print_leaderboard(env, standings)
