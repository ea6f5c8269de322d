"""`permits cases`: the operator queue (cases whose runs keep failing) and retrying one."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from cli.output import console, err, friendly

__all__ = ["cases_app", "start_flow_or_explain"]

cases_app = typer.Typer(
    help="Cases the machine could not process: list, retry.", no_args_is_help=True
)


def start_flow_or_explain(case_id: int, reference: str, *, reason: str) -> bool:
    """Start the case flow; if the orchestrator fails, say that the case is saved and will be
    picked up (the resume sweep), instead of a traceback. Returns whether the flow started."""
    from flows.deployments import start_case_flow

    try:
        start_case_flow(case_id, reason=reason)
    except Exception as exc:  # any failure of the orchestrator's client: the case is saved
        err.print(
            f"case {reference} is saved, but the orchestrator could not start its flow "
            f"({type(exc).__name__}: {str(exc)[:200]}); it is picked up automatically once "
            "`permits up` runs on this data folder",
            highlight=False,
        )
        return False
    return True


@cases_app.command("failed")
@friendly
def cases_failed() -> None:
    """Cases whose runs failed too often (max_failed_runs): the sweep no longer retries them."""
    from cases.db import ensure_migrated, session_scope
    from cases.processing_failures import failed_cases

    ensure_migrated()
    with session_scope() as session:
        rows = failed_cases(session=session, limit=500)
    table = Table("reference", "status", "tries", "last failed (UTC)")
    table.add_column("last error", overflow="fold")
    for row in rows:
        table.add_row(
            row.reference,
            row.status,
            str(row.tries),
            f"{row.last_failed_at:%Y-%m-%d %H:%M}",
            row.last_error,
        )
    console.print(table)
    console.print(f"{len(rows)} case(s) waiting for a retry")


@cases_app.command("retry")
@friendly
def cases_retry(reference: Annotated[str, typer.Argument(help="The case's reference")]) -> None:
    """Take a case out of the operator queue and run its flow again (audited)."""
    from cases.db import ensure_migrated
    from cases.processing_failures import retry_case

    ensure_migrated()
    case = retry_case(reference=reference, actor=f"cli:{getpass.getuser()}")
    assert case.id is not None
    if start_flow_or_explain(case.id, case.reference, reason="retried"):
        console.print(f"case {case.reference} retried; its flow was started again")
