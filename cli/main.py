"""The ``permits`` command: operate the engine from a terminal.

Domain errors print as one clear line (no traceback) and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cases.settings import get_settings
from cli.admin import audit_app, db_app, ocr_app, users_app
from cli.bench import bench_app
from cli.cases import cases_app, start_flow_or_explain
from cli.catalogue import catalogue_app, rules_app
from cli.dropbox import dropbox_app
from cli.forms import forms_app
from cli.letters import letters_app
from cli.messages import messages_app
from cli.output import console, err, friendly
from cli.progress import progress
from cli.reporting import export_app, kpi
from cli.retention import retention_app
from cli.review import review_app
from cli.service_levels import calendar_app, sla_app
from flows.env import configure_prefect

app = typer.Typer(help="Permit and licence case-processing engine.", no_args_is_help=True)
worker_app = typer.Typer(help="Long-running worker processes (started by `permits up`).")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(forms_app, name="forms")
app.add_typer(letters_app, name="letters")
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")
app.add_typer(worker_app, name="worker")
app.add_typer(bench_app, name="bench")
app.add_typer(ocr_app, name="ocr")
app.add_typer(dropbox_app, name="dropbox")
app.add_typer(messages_app, name="messages")
app.add_typer(calendar_app, name="calendar")
app.add_typer(sla_app, name="sla")
app.add_typer(export_app, name="export")
app.command("kpi")(friendly(kpi))
app.add_typer(retention_app, name="retention")
app.add_typer(cases_app, name="cases")
app.add_typer(review_app, name="review")


@app.callback()
@friendly
def _main() -> None:
    from cases.db import prepare_data_folder

    prepare_data_folder()  # a data path too long is one line, before anything else meets it
    configure_prefect()


@app.command()
@friendly
def submit(
    files: Annotated[list[Path], typer.Argument(help="Application form first, then the ID copy")],
    permit_type: Annotated[
        str, typer.Option("--type", help="Permit type id")
    ] = "food-business-licence",
) -> None:
    """Store the documents, create the case and start its flow (needs `permits up` running)."""
    from cases.db import ensure_migrated
    from cases.intake import Upload, inspect_upload
    from cases.intake import submit as submit_case
    from cli.services import running_services

    ensure_migrated()
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}")
    uploads = [Upload(f.name, f.read_bytes()) for f in files]
    for upload in uploads:
        inspect_upload(upload)  # a bad file is reported before anything else is asked for
    if running_services() is None:
        err.print("no services are running on this data folder; start them with: permits up")
        raise typer.Exit(1)
    submission = submit_case(uploads, permit_type_id=permit_type, actor="cli", channel="cli")
    case = submission.case
    assert case.id is not None
    started = start_flow_or_explain(case.id, case.reference, reason="submitted")
    console.print(
        f"case {case.reference} {'submitted' if started else 'saved'}; follow it at "
        f"{get_settings().web_url}/cases/{case.id}\n"
        f"the applicant's access code for {get_settings().web_url}/status is "
        f"{submission.access_code} (shown only now)"
    )


def _print_demo(results: list[dict[str, Any]], as_json: bool, seconds: float) -> None:
    failed = [row["reference"] for row in results if row["problem"]]
    if as_json:
        print(
            json.dumps({"seconds": round(seconds, 1), "cases": results, "failed": failed}, indent=2)
        )
        return
    table = Table("reference", "status", "outcome")
    table.add_column("letter", overflow="fold")
    table.add_column("problem", overflow="fold")
    for row in results:
        table.add_row(
            row["reference"],
            row["status"],
            row["outcome"] or "",
            row["letter_path"] or "",
            row["problem"] or "",
        )
    console.print(table)
    console.print(f"{len(results)} case(s) in {seconds:.1f} s")
    if failed:
        console.print(f"{len(failed)} case(s) could not be taken further: {', '.join(failed)}")


@app.command()
@friendly
def demo(
    cases: Annotated[int, typer.Option("--cases", min=1, max=200)] = 3,
    approve_all: Annotated[bool, typer.Option("--approve-all")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic applications")] = 1000,
) -> None:
    """Submit synthetic scanned applications and follow them to a gate or to their letter."""
    from contextlib import nullcontext

    from cases.db import ensure_migrated
    from cli.demo import ensure_demo_users, run_demo
    from cli.services import running_services, start_services

    ensure_migrated(create_if_new=True)  # a new data folder just works
    ensure_demo_users()
    started = time.monotonic()
    running = running_services()
    context = nullcontext() if running else start_services(web=False)
    if not running and not as_json:
        console.print("no running services found on this data folder; starting them for this run")
    with context, progress() as steps:
        results = run_demo(cases, approve_all=approve_all, seed=seed, steps=steps)
    _print_demo(results, as_json, time.monotonic() - started)
    if any(row["problem"] for row in results):
        raise typer.Exit(1)  # the summary says which cases and why


@app.command()
@friendly
def up(
    demo_cases: Annotated[int, typer.Option("--demo", help="Submit N sample cases once up")] = 0,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Case-flow runners and OCR workers to start (default: the settings, 1 each)",
        ),
    ] = None,
) -> None:
    """Start the local Prefect server, flow and OCR workers and the web app; Ctrl-C stops all."""
    from cases.db import ensure_migrated
    from cli.demo import ensure_demo_users, submit_samples
    from cli.services import start_services

    settings = get_settings()
    if workers is not None:
        settings = settings.model_copy(update={"case_runners": workers, "ocr_workers": workers})
    settings.check_production_ready()
    ensure_migrated(create_if_new=True)  # a new data folder just works
    accounts = ensure_demo_users() if settings.environment == "development" else {}
    console.print("starting the local Prefect server, workers and web app…")
    if settings.case_runners > 1 and not (settings.database_url and settings.prefect_database_url):
        err.print(
            "several workers share SQLite files here: fine to try, but set PERMITS_DATABASE_URL "
            "and PERMITS_PREFECT_DATABASE_URL to PostgreSQL for real work (see the README)"
        )
    with start_services(web=True, dropbox=True, settings=settings):
        console.print(f"web app:        {settings.web_url}")
        console.print(f"Prefect UI:     {settings.effective_prefect_api_url.removesuffix('/api')}")
        console.print(f"data folder:    {settings.resolved_data_dir}")
        console.print(
            f"workers:        {settings.case_runners} case-flow runner(s), "
            f"{settings.ocr_workers} OCR worker(s) x {settings.effective_ocr_threads} thread(s)"
        )
        console.print(f"drop box:       {settings.resolved_dropbox_dir}")
        for username, password in accounts.items():
            console.print(f"demo login:     {username} / {password}")
        if demo_cases:
            submit_samples(demo_cases, seed=int(time.time()) % 100000)
            console.print(
                f"{demo_cases} sample case(s) submitted; each appears in the inbox at its gate"
            )
        console.print("press Ctrl-C to stop")
        try:
            while True:  # the supervisor restarts a service that dies, or interrupts this
                time.sleep(1)
        except KeyboardInterrupt:
            console.print("stopping…")


@worker_app.command("deployments")
def worker_deployments(
    register: Annotated[
        bool,
        typer.Option(
            help="Create or update the deployments and their triggers first; let one runner do "
            "it (two at once could each create the triggers)"
        ),
    ] = True,
) -> None:
    """Run the case-flow and scheduled deployments' flow runs inside this process (no process
    per run); start several, on any machines, to share the work."""
    from flows.serve import serve_deployments

    serve_deployments(register=register)


@worker_app.command("ocr")
@friendly
def worker_ocr() -> None:
    """Serve OCR tasks with the model loaded once and kept warm."""
    from flows.serve import serve_ocr_worker

    serve_ocr_worker()


if __name__ == "__main__":
    app()
