"""`permits calendar` (the office's closure days) and `permits sla` (the service-level sweep)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from cli.output import console, friendly

__all__ = ["calendar_app", "sla_app"]

calendar_app = typer.Typer(
    help="The office's working days: closure days (typhoon, black rainstorm) and holidays.",
    no_args_is_help=True,
)
sla_app = typer.Typer(help="Service levels: reminders and escalation.", no_args_is_help=True)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD") from None


@calendar_app.command("close")
@friendly
def calendar_close(
    day: Annotated[str, typer.Argument(help="The day the office closed, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="Why (for example: typhoon signal 8)")],
    by: Annotated[str, typer.Option("--by", help="Your admin username")],
) -> None:
    """Record a closure day; every open due date it falls inside of moves one working day."""
    from cases.access import get_user
    from cases.db import ensure_migrated, session_scope
    from cases.errors import PermissionDenied
    from cases.models import Role
    from cases.service_levels import add_closure_day

    closed_on = _day(day)
    ensure_migrated()
    with session_scope() as session:
        user = get_user(session, by)
        if user is None or not user.active or user.role != Role.ADMIN:
            raise PermissionDenied(
                f"'{by}' is not an active admin account; closure days are added by an admin "
                "(permits users add --role admin creates one)"
            )
    added = add_closure_day(closed_on, reason, actor=by)
    console.print(
        f"{added.day.isoformat()} is a closure day ({added.reason}); "
        f"{len(added.moved)} open cases' due dates moved one working day.",
        highlight=False,
    )


@calendar_app.command("list")
@friendly
def calendar_list(
    year: Annotated[
        int | None, typer.Option(help="Also list that year's Hong Kong general holidays")
    ] = None,
) -> None:
    """The closure days recorded, and a year's public holidays if asked."""
    from cases.calendar import holiday_name
    from cases.db import ensure_migrated
    from cases.service_levels import list_closure_days

    ensure_migrated()
    table = Table("day", "closed because", "added by", "added at (UTC)", title="Closure days")
    for closure in list_closure_days():
        table.add_row(
            closure.day.isoformat(),
            closure.reason,
            closure.added_by,
            f"{closure.added_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    if year is not None:
        holidays = Table("day", "holiday", title=f"Hong Kong general holidays, {year}")
        day = dt.date(year, 1, 1)
        while day.year == year:
            if name := holiday_name(day):
                holidays.add_row(day.isoformat(), name)
            day += dt.timedelta(days=1)
        console.print(holidays)


@sla_app.command("sweep")
@friendly
def sla_sweep(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Remind before due and escalate overdue tasks once, as the scheduled flow does."""
    from cases.db import ensure_migrated
    from cases.service_levels import sweep_service_levels

    ensure_migrated()
    sweep = sweep_service_levels()
    outcome = {"due_set": sweep.due_set, "reminded": sweep.reminded, "escalated": sweep.escalated}
    if as_json:
        console.print_json(json.dumps(outcome))
        return
    console.print(
        f"{len(sweep.due_set)} cases given a due date, {len(sweep.reminded)} tasks reminded, "
        f"{len(sweep.escalated)} tasks escalated to the senior queue",
        highlight=False,
    )
