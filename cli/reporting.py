"""`permits kpi` (the dashboard's figures in the terminal) and `permits export cases`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from cli.output import console, err, friendly, option_date

__all__ = ["export_app", "kpi"]

export_app = typer.Typer(help="Export data for analysis elsewhere.", no_args_is_help=True)


_RATES = frozenset({"breach_rate", "correction_rate", "corrected_of_checked", "rate"})


def _shown(value: Any, column: str = "") -> str:
    if value is None:
        return "—"
    if column in _RATES:
        return f"{value:.1%}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _print_table(name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    table = Table(title=name.replace("_", " "), box=box.SIMPLE, title_justify="left")
    for n, column in enumerate(columns):
        numeric = any(isinstance(row[n], int | float) for row in rows)
        # The first column names the row: whole; the numbers' headers wrap instead.
        table.add_column(
            column.replace("_", " "),
            justify="right" if numeric else "left",
            no_wrap=n == 0,
            overflow="fold",
        )
    for row in rows:
        table.add_row(*(_shown(v, c) for v, c in zip(row, columns, strict=True)))
    if not rows:
        console.print(f"{name.replace('_', ' ')}: nothing to count yet")
        return
    # Never narrower than the table's words and numbers: an 80-column terminal cut "3,712" to
    # "3,7…"; wider than the terminal, the lines run on instead of hiding a figure.
    needed = 2 + sum(
        4 + max(max(len(_shown(row[n], c)) for row in rows), *map(len, c.split("_")))
        for n, c in enumerate(columns)
    )
    out = console if needed <= console.width else Console(file=console.file, width=needed)
    out.print(table)


def kpi(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (stdout) instead")] = False,
    permit_type: Annotated[str | None, typer.Option("--type", help="Permit type id")] = None,
    since: Annotated[
        str | None, typer.Option(help="Cases submitted on or after (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Cases submitted on or before (YYYY-MM-DD)")
    ] = None,
) -> None:
    """The office's KPIs, the same figures as the /kpi page: turnaround, stages, gates, service
    levels, OCR corrections, review findings, throughput per week and failed rules."""
    from cases.catalogue import load_catalogue
    from cases.db import ensure_migrated, session_scope
    from cases.reporting import KpiFilters, compute_dashboard

    filters = KpiFilters(permit_type, option_date(since, "--since"), option_date(until, "--until"))
    if permit_type and permit_type not in load_catalogue():
        known = ", ".join(sorted(load_catalogue()))
        raise typer.BadParameter(
            f"no permit type {permit_type!r}; known: {known}", param_hint="--type"
        )
    if filters.since and filters.until and filters.since > filters.until:
        raise typer.BadParameter("--since is after --until", param_hint="--since")
    ensure_migrated()
    with session_scope() as session:
        dashboard = compute_dashboard(session, filters)
    if as_json:
        print(json.dumps(dashboard.as_json(), indent=2, default=str))
        return
    for name, table in dashboard.tables.items():
        _print_table(name, table.columns, table.rows)


@export_app.command("cases")
@friendly
def export_cases_command(
    since: Annotated[str, typer.Option(help="Cases submitted on or after (YYYY-MM-DD)")],
    format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    with_personal_data: Annotated[
        bool,
        typer.Option(
            "--with-personal-data", help="Add name, e-mail, phone, HKID (admins only; audited)"
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Your staff username (an admin, for --with-personal-data)"),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
) -> None:
    """One row per case: reference, permit type, status, outcome, dates, fee, rule set version
    and failed rules. Every export is recorded in the audit trail."""
    from cases.access import Actor, get_user
    from cases.db import ensure_migrated, session_scope
    from cases.errors import NotFound
    from cases.models import Role
    from cases.reporting import export_cases

    start = option_date(since, "--since")
    if format not in ("csv", "jsonl"):
        raise typer.BadParameter("choose csv or jsonl", param_hint="--format")
    if with_personal_data and not by:
        raise typer.BadParameter(
            "personal data is exported only for a named admin: add --by YOUR_USERNAME",
            param_hint="--with-personal-data",
        )
    ensure_migrated()
    with session_scope() as session:
        actor = Actor("cli", Role.CASEWORKER)
        if by:
            user = get_user(session, by)
            if user is None or not user.active:
                raise NotFound(
                    f"no active staff account '{by}'; an admin creates one with: permits users add"
                )
            actor = Actor(user.username, Role(user.role))
        export = export_cases(
            session, actor=actor, since=start, format=format, with_personal_data=with_personal_data
        )
    text = export.text()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    err.print(f"{len(export.rows):,} case(s) exported" + (f" to {out}" if out else ""))
