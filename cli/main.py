"""The ``permits`` command: operate the engine from a terminal.

Domain errors print as one clear line (no traceback) and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from cases.errors import PermitsError
from cases.settings import get_settings
from flows.env import configure_prefect

app = typer.Typer(help="Permit and licence case-processing engine.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
catalogue_app = typer.Typer(
    help="The permit catalogue (rules, forms, letters).", no_args_is_help=True
)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
rules_app = typer.Typer(help="Eligibility rule files and their inline tests.", no_args_is_help=True)
worker_app = typer.Typer(help="Long-running worker processes (started by `permits up`).")
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
ocr_app = typer.Typer(help="How well extraction reads documents.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")
app.add_typer(worker_app, name="worker")
app.add_typer(bench_app, name="bench")
app.add_typer(ocr_app, name="ocr")

console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn domain errors into one readable line and exit status 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PermitsError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _main() -> None:
    configure_prefect()


# --- db, audit, catalogue, users ---------------------------------------------------------------


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Create or update the database schema to this version (safe to run again)."""
    from cases.db import upgrade_database

    upgrade_database()
    console.print(f"database is up to date: {get_settings().resolved_database_url}")


@ocr_app.command("corrections")
@friendly
def ocr_corrections(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Per field, how often a person corrected what OCR read (worst first)."""
    from cases.db import ensure_migrated, session_scope
    from cases.ocr_quality import correction_rates

    ensure_migrated()
    with session_scope() as session:
        rates = correction_rates(session=session)
    if as_json:
        rows = [{**asdict(r), "rate": round(r.rate, 4)} for r in rates]
        print(json.dumps(rows, indent=2))
        return
    table = Table("field", "read", "checked by a person", "corrected", "correction rate")
    for r in rates:
        table.add_row(r.name, str(r.extracted), str(r.total), str(r.corrected), f"{r.rate:.1%}")
    console.print(table if rates else "no fields have been extracted yet")


@ocr_app.command("train-handwriting")
@friendly
def ocr_train_handwriting(
    out: Annotated[Path | None, typer.Option(help="default: the shipped model's file")] = None,
    samples: Annotated[int, typer.Option(min=64, help="training lines to make")] = 9600,
    steps: Annotated[int, typer.Option(min=1, help="batches of 32 to learn from")] = 300,
) -> None:
    """Fine-tune the handwriting recogniser from easyocr's own (~11 minutes on 2 CPU cores)."""
    import easyocr_en_models

    from cases.ocr.reader import HANDWRITING_MODEL
    from cases.ocr.training import missing_fonts, train

    missing = missing_fonts()
    if missing:
        packages = " ".join(missing)
        raise PermitsError(
            f"the handwriting fonts to train on are missing: apt-get install {packages}"
        )
    target = out or HANDWRITING_MODEL
    partial = target.with_suffix(".partial")  # the model in use stays whole until the end
    base = Path(easyocr_en_models.model_dir()) / "english_g2.pth"
    run = train(partial, base=base, samples=samples, steps=steps, log=console.print)
    partial.replace(target)
    console.print(
        f"wrote {target}: {run.samples} lines, {run.steps} steps, final loss {run.final_loss}, "
        f"{run.seconds / 60:.0f} minutes; measure it with `permits bench ocr`"
    )


@audit_app.command("verify")
@friendly
def audit_verify() -> None:
    """Check the hash chain of the audit trail; report the first broken link."""
    from cases.audit import verify_chain
    from cases.db import ensure_migrated, session_scope

    ensure_migrated()
    with session_scope() as session:
        report = verify_chain(session)
    if report.ok:
        console.print(f"audit trail intact: {report.events_checked} events checked")
        return
    err.print(
        f"[red]audit trail broken at event {report.first_broken_seq}:[/red] {report.problem} "
        f"({report.events_checked} events before it are intact)"
    )
    raise typer.Exit(1)


@catalogue_app.command("check")
@friendly
def catalogue_check(
    folder: Annotated[
        Path | None, typer.Option(help="Catalogue folder (default: settings)")
    ] = None,
) -> None:
    """Validate every permit type: schemas, rule expressions, inline tests, letter templates."""
    from cases.checks import check_catalogue

    problems, summary = check_catalogue(folder)
    for line in summary:
        console.print(line)
    if problems:
        for problem in problems:
            err.print(f"[red]✗[/red] {problem}", highlight=False)
        err.print(f"{len(problems)} problem(s) found")
        raise typer.Exit(1)
    console.print("[green]catalogue OK[/green]")


@rules_app.command("check")
@friendly
def rules_check(
    folder: Annotated[
        Path | None, typer.Option(help="Catalogue folder (default: settings)")
    ] = None,
) -> None:
    """Validate the rule files (and the rest of the catalogue they depend on)."""
    catalogue_check(folder)


@rules_app.command("test")
@friendly
def rules_test(
    folder: Annotated[
        Path | None, typer.Option(help="Catalogue folder (default: settings)")
    ] = None,
) -> None:
    """Run every rule file's inline tests; name each failing test with its file."""
    from cases.catalogue import load_catalogue
    from cases.eligibility import run_inline_test

    failures = total = 0
    for permit_type in load_catalogue(folder).values():
        for ruleset in permit_type.rulesets:
            for test in ruleset.tests:
                total += 1
                message = run_inline_test(ruleset, test)
                where = f"{permit_type.id} {ruleset.version}"
                if message is None:
                    console.print(f"[green]✓[/green] {where}: {test.name}", highlight=False)
                else:
                    failures += 1
                    err.print(f"[red]✗[/red] {where}: {message}", highlight=False)
    console.print(f"{total - failures} passed, {failures} failed")
    if failures:
        raise typer.Exit(1)


def _permit_type_of_draft(draft: Path, permit_type: str | None) -> str:
    from cases.catalogue import load_catalogue

    chosen = permit_type or draft.resolve().parent.name
    if chosen not in load_catalogue():
        raise typer.BadParameter(
            f"'{chosen}' is not a permit type; name one with --type", param_hint="--type"
        )
    return chosen


def _print_impact(report: Any, limit: int) -> None:
    console.print(
        f"{report.permit_type}: draft {report.draft_version} re-evaluated "
        f"{report.cases_evaluated} stored case(s) in {report.seconds:.1f} s; "
        f"{len(report.changes)} would change"
    )
    for move, count in sorted(report.outcome_moves.items()):
        console.print(f"  {move}: {count}")
    if report.changes:
        table = Table()
        table.add_column("reference", no_wrap=True)
        for heading in ("outcome", "fee (HK$)", "rules (+ now fails, - no longer)"):
            table.add_column(heading)
        for change in report.changes[:limit]:
            table.add_row(
                change.reference,
                f"{change.old_outcome} -> {change.new_outcome}",
                f"{change.old_fee or '-'} -> {change.new_fee or '-'}",
                " ".join(
                    [f"+{r}" for r in change.newly_failing]
                    + [f"-{r}" for r in change.no_longer_failing]
                ),
            )
        console.print(table)
        if len(report.changes) > limit:
            console.print(f"… and {len(report.changes) - limit} more (--limit, or --json)")
    per_rule = Table("rule", "changed cases newly failing it", "no longer failing it")
    for rule, counts in report.per_rule().items():
        per_rule.add_row(rule, str(counts["newly_failing"]), str(counts["no_longer_failing"]))
    if report.per_rule():
        console.print(per_rule)


@rules_app.command("diff")
@friendly
def rules_diff(
    draft: Annotated[Path, typer.Option("--draft", help="The draft eligibility-*.yaml file")],
    since: Annotated[
        str | None, typer.Option(help="Only cases submitted on or after this date (YYYY-MM-DD)")
    ] = None,
    permit_type: Annotated[
        str | None, typer.Option("--type", help="Permit type (default: the draft's folder)")
    ] = None,
    limit: Annotated[int, typer.Option(help="Changed cases to list")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which stored cases would get another outcome or fee under a draft rule file."""
    import datetime as dt

    from cases.catalogue import get_permit_type, load_ruleset
    from cases.db import ensure_migrated, session_scope
    from cases.impact import impact_of_draft

    try:
        since_date = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter(f"not a date: {since}", param_hint="--since") from None
    ruleset = load_ruleset(draft)
    chosen = get_permit_type(_permit_type_of_draft(draft, permit_type))
    ensure_migrated()
    with session_scope() as session:
        report = impact_of_draft(session, chosen, ruleset, since=since_date)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        _print_impact(report, limit)


@bench_app.command("rules")
@friendly
def bench_rules_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cases: Annotated[int, typer.Option(help="Generated cases for the compiled run")] = 20_000,
    stored: Annotated[int, typer.Option(help="Stored cases for the impact run (0: skip)")] = (
        100_000
    ),
) -> None:
    """Rule evaluation speed (compiled and cold) and an impact run over 100,000 stored cases."""
    from cases.bench_rules import bench_rules

    result = bench_rules(cases=cases, stored=stored)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        console.print(f"{key:24} {value}")


@bench_app.command("ocr")
@friendly
def bench_ocr_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    pages: Annotated[int, typer.Option(help="Degraded scans to read")] = 30,
    readtext_pages: Annotated[
        int, typer.Option(help="Of which plain readtext reads (~25-45 s a page here)")
    ] = 4,
) -> None:
    """OCR accuracy and speed: this pipeline vs plain easyocr readtext vs Tesseract 5."""
    from cases.bench_ocr import run_bench

    run_bench(pages, as_json, readtext_pages=readtext_pages)


def _print_bench_inbox(result: dict[str, Any], target_ms: float) -> None:
    table = Table(box=box.SIMPLE, caption="response times in ms, in-process HTTP client")
    table.add_column("database", no_wrap=True)
    table.add_column("cases", justify="right")
    table.add_column("seed s", justify="right")
    for page in ("inbox", "case"):
        for stat in ("p50", "p95", "max"):
            table.add_column(f"{page} {stat}", justify="right")
    for backend, numbers in result.items():
        if "error" in numbers:
            table.add_row(backend, "-", "-", *["-"] * 6)
            continue
        stats = [
            str(numbers[f"{page}_{stat}_ms"])
            for page in ("inbox", "case")
            for stat in ("p50", "p95", "max")
        ]
        table.add_row(backend, f"{numbers['cases']:,}", str(numbers["seed_s"]), *stats)
    console.print(table)
    for backend, numbers in result.items():
        if "error" in numbers:
            err.print(f"[red]{backend}:[/red] {numbers['error']}", highlight=False)
            continue
        for failure in numbers["failures"]:
            err.print(f"[red]{backend}: failed request:[/red] {failure}", highlight=False)
        slow = [p for p in ("inbox", "case") if numbers[f"{p}_p95_ms"] > target_ms]
        verdict = (
            f"p95 over the {target_ms:g} ms target: {', '.join(slow)}"
            if slow
            else f"p95 within the {target_ms:g} ms target"
        )
        console.print(
            f"{backend}: {numbers['open_tasks']:,} open tasks, {numbers['requests']} timed "
            f"requests of each page; {verdict}"
        )


@bench_app.command("inbox")
@friendly
def bench_inbox_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cases: Annotated[int, typer.Option(min=1, help="Cases to seed in each database")] = 100_000,
    requests: Annotated[
        int, typer.Option(min=1, help="Timed requests of each page (inbox, case)")
    ] = 200,
    backend: Annotated[str, typer.Option(help="sqlite, postgres or both")] = "both",
    postgres_url: Annotated[
        str, typer.Option(help="A throw-away PostgreSQL database (created if missing, emptied)")
    ] = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox",
) -> None:
    """Inbox and case page response times (p50/p95) over 100,000 seeded cases, in-process."""
    from web.bench_inbox import TARGET_P95_MS, bench_inbox

    if backend not in ("sqlite", "postgres", "both"):
        raise typer.BadParameter("choose sqlite, postgres or both", param_hint="--backend")
    result = bench_inbox(
        cases=cases,
        requests=requests,
        backend=backend,
        postgres_url=postgres_url,
        progress=None if as_json else lambda message: err.print(message, highlight=False),
    )
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print_bench_inbox(result, TARGET_P95_MS)
    if any(numbers.get("failures") for numbers in result.values()):
        raise typer.Exit(1)


@users_app.command("add")
@friendly
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="caseworker, senior_caseworker, admin or auditor")],
    display_name: Annotated[str, typer.Option()] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a staff account."""
    from cases.db import ensure_migrated, session_scope
    from cases.models import Role
    from cases.users import create_user

    ensure_migrated()
    try:
        role_value = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role '{role}'", param_hint="--role") from None
    with session_scope() as session:
        create_user(
            session,
            username=username,
            password=password,
            role=role_value,
            display_name=display_name,
            actor="cli",
        )
    console.print(f"user {username} created ({role})")


# --- submitting and running --------------------------------------------------------------------


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
    from flows.deployments import start_case_flow

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
    start_case_flow(case.id, reason="submitted")
    console.print(
        f"case {case.reference} submitted; follow it at {get_settings().web_url}/cases/{case.id}\n"
        f"the applicant's access code for {get_settings().web_url}/status is "
        f"{submission.access_code} (shown only now)"
    )


def _print_demo(results: list[dict[str, Any]], as_json: bool, seconds: float) -> None:
    if as_json:
        print(json.dumps({"seconds": round(seconds, 1), "cases": results}, indent=2))
        return
    table = Table("reference", "status", "outcome")
    table.add_column("letter", overflow="fold")
    for row in results:
        table.add_row(
            row["reference"], row["status"], row["outcome"] or "", row["letter_path"] or ""
        )
    console.print(table)
    console.print(f"{len(results)} case(s) in {seconds:.1f} s")


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

    ensure_migrated()
    ensure_demo_users()
    started = time.monotonic()
    running = running_services()
    context = nullcontext() if running else start_services(web=False)
    if not running and not as_json:
        console.print("no running services found on this data folder; starting them for this run")
    with context:
        results = run_demo(cases, approve_all=approve_all, seed=seed)
    _print_demo(results, as_json, time.monotonic() - started)


@app.command()
@friendly
def up(
    demo_cases: Annotated[int, typer.Option("--demo", help="Submit N sample cases once up")] = 0,
) -> None:
    """Start the local Prefect server, flow and OCR workers and the web app; Ctrl-C stops all."""
    from cases.db import ensure_migrated
    from cli.demo import ensure_demo_users, submit_samples
    from cli.services import start_services

    settings = get_settings()
    settings.check_production_ready()
    ensure_migrated()
    accounts = ensure_demo_users() if settings.environment == "development" else {}
    console.print("starting the local Prefect server, workers and web app…")
    with start_services(web=True, settings=settings) as services:
        console.print(f"web app:        {settings.web_url}")
        console.print(f"Prefect UI:     {settings.effective_prefect_api_url.removesuffix('/api')}")
        console.print(f"data folder:    {settings.resolved_data_dir}")
        for username, password in accounts.items():
            console.print(f"demo login:     {username} / {password}")
        if demo_cases:
            submit_samples(demo_cases, seed=int(time.time()) % 100000)
            console.print(
                f"{demo_cases} sample case(s) submitted; each appears in the inbox at its gate"
            )
        console.print("press Ctrl-C to stop")
        try:
            while True:
                services.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            console.print("stopping…")


@worker_app.command("deployments")
def worker_deployments() -> None:
    """Serve the case-flow deployment (each flow run is a new process)."""
    from flows.serve import serve_deployments

    serve_deployments()


@worker_app.command("ocr")
def worker_ocr() -> None:
    """Serve OCR tasks with the model loaded once and kept warm."""
    from flows.serve import serve_ocr_worker

    serve_ocr_worker()


if __name__ == "__main__":
    app()
