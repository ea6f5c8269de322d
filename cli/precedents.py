"""`permits review embed-precedents`: make precedents of the cases decided before precedents
were recorded (or with another model), in batches that each commit."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import console, friendly

__all__ = ["embed_precedents"]


@friendly
def embed_precedents(
    batch: Annotated[
        int, typer.Option(min=1, max=5000, help="Cases embedded per transaction")
    ] = 256,
) -> None:
    """Embed every decided case that has no precedent from the installed model yet."""
    from cases.db import ensure_migrated
    from cases.precedents import backfill_precedents, model_label

    ensure_migrated()
    console.print(f"Model: {model_label()}")
    report = backfill_precedents(
        batch=batch, progress=lambda done: console.print(f"  {done} embedded", highlight=False)
    )
    console.print(
        f"{report.embedded} decided cases embedded; {report.already} already had a precedent."
    )
