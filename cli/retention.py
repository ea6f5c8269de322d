"""`permits retention run`: purge (or list, with --dry-run) the closed cases whose retention
period has ended, as the scheduled retention flow does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Column, Table

from cli.output import console, friendly
from cli.progress import progress

__all__ = ["retention_app"]

retention_app = typer.Typer(help="Removing what the retention period no longer allows.")


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """The CLI's one progress display (a bar with counts and time left on a terminal, plain
    lines with time left elsewhere), for the purge's ``progress(done, total)``."""
    with progress() as steps:
        yield lambda done, total: steps(label, done, total)


@retention_app.command("run")
@friendly
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; change nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Purge every closed case whose permit type's retention_years have passed since it closed:
    its documents and letters leave the store, its personal data becomes a tombstone, its
    decision record stays; then the audit chain head is anchored."""
    from cases.db import ensure_migrated
    from cases.retention import run_retention

    ensure_migrated()
    with _progress("checking cases" if dry_run else "purging cases") as progress:
        report = run_retention(dry_run=dry_run, progress=progress)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    if not report.cases:
        console.print("no closed case has passed its retention period")
        return
    table = Table(Column("case", no_wrap=True), Column("closed", no_wrap=True))
    for header in ("docs", "letters", "files", "shared", "msgs", "audit"):
        table.add_column(header, justify="right")
    for case in report.cases:
        counts = (case.documents, case.letters, case.files_removed, case.files_shared)
        table.add_row(
            case.reference,
            case.closed_at[:10],
            *map(str, counts),
            str(case.messages),
            str(case.personal_values),
        )
    console.print(table)
    console.print(
        "docs, letters, msgs: how many the case has; files: leave the content store; "
        "shared: kept, a case not yet purged holds the same content; audit: personal values "
        "kept beside audit events, blanked",
        highlight=False,
    )
    verb = "would be purged (dry run: nothing changed)" if dry_run else "purged"
    anchored = f"; audit chain anchored at event {report.anchor.seq}" if report.anchor else ""
    console.print(f"{len(report.cases)} cases {verb}{anchored}", highlight=False)
