"""`permits review`: what the reviewers are, and how often caseworkers agreed with them."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cli.output import console, friendly
from cli.precedents import embed_precedents

__all__ = ["review_app"]

review_app = typer.Typer(help="The review stage's reviewers and findings.", no_args_is_help=True)
review_app.command("embed-precedents")(embed_precedents)


@review_app.command("stats")
@friendly
def review_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Per finding code: how many findings caseworkers confirmed and dismissed."""
    from cases.db import ensure_migrated, session_scope
    from cases.review import finding_stats

    ensure_migrated()
    with session_scope() as session:
        stats = finding_stats(session)
    if as_json:
        rows = {
            s.code: {
                "confirmed": s.confirmed,
                "dismissed": s.dismissed,
                "confirmed_share": s.confirmed_share,
            }
            for s in stats
        }
        console.print_json(json.dumps(rows))
        return
    if not stats:
        console.print("No finding has been confirmed or dismissed yet.")
        return
    table = Table("Finding", "Confirmed", "Dismissed", "Confirmed share")
    for s in stats:
        share = "—" if s.confirmed_share is None else f"{s.confirmed_share:.0%}"
        table.add_row(s.code, str(s.confirmed), str(s.dismissed), share)
    console.print(table)


@review_app.command("list")
def review_list() -> None:
    """The reviewers this engine has: name, version, model, on by default."""
    from cases.review import all_reviewers

    table = Table("Reviewer", "Version", "Model", "On by default")
    for r in all_reviewers():
        table.add_row(r.name, r.version, r.model_name or "—", "yes" if r.on_by_default else "no")
    console.print(table)
