"""`permits bench ocr|forms|rules|inbox|review`: the benchmarks the README quotes (tools/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from cli.output import console, err, friendly
from cli.progress import progress

__all__ = ["bench_app"]


bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


def _one_backend(value: str) -> str:
    if value not in ("sqlite", "postgres", "both"):
        raise typer.BadParameter("choose sqlite, postgres or both")
    return value


#: The databases a benchmark runs on.
Backend = Annotated[str, typer.Option(help="sqlite, postgres or both", callback=_one_backend)]
PostgresUrl = Annotated[
    str, typer.Option(help="A throw-away PostgreSQL database (created if missing, emptied)")
]


def _backends(backend: str) -> tuple[str, ...]:
    return ("sqlite", "postgres") if backend == "both" else (backend,)


def _progress(as_json: bool) -> Callable[[str], None] | None:
    """Progress lines on stderr, none when the output is JSON."""
    return None if as_json else lambda message: err.print(message, highlight=False)


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
    from tools.bench.rules import bench_rules

    with progress() as steps:
        result = bench_rules(cases=cases, stored=stored, steps=steps)
    _print_numbers(result, as_json)


def _print_numbers(result: dict[str, Any], as_json: bool) -> None:
    """JSON, or a line per figure (under a heading per group of figures)."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            console.print(f"[bold]{key}[/bold]")
            for name, number in value.items():
                console.print(f"  {name:24} {number}")
        else:
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
    from tools.bench.ocr import run_bench

    with progress() as steps:
        run_bench(pages, as_json, readtext_pages=readtext_pages, steps=steps)


@bench_app.command("forms")
@friendly
def bench_forms_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the invented values and the scan noise")] = 1,
    forms: Annotated[
        Path | None,
        typer.Option(help="Folder of fillable PDF forms (default: tests/fixtures/forms)"),
    ] = None,
    pages: Annotated[int, typer.Option(min=1, help="Pages of each form to fill")] = 2,
    fields: Annotated[int, typer.Option(min=1, help="Written fields filled on each page")] = 8,
    ticks: Annotated[int, typer.Option(min=0, help="Checkboxes filled on each page")] = 2,
    tesseract: Annotated[
        bool, typer.Option(help="Also read every scan with Tesseract 5 (~5-10 s a page)")
    ] = True,
) -> None:
    """Zonal OCR on real fillable forms: filled, printed, scanned five ways, read; vs Tesseract."""
    from tools.bench.forms import FORMS_DIR, bench_forms, format_table

    folder = forms or FORMS_DIR
    if not folder.is_dir() or not any(folder.glob("*.pdf")):
        raise typer.BadParameter(f"{folder} holds no PDF forms", param_hint="--forms")
    with progress() as steps:
        result = bench_forms(
            folder,
            seed=seed,
            pages=pages,
            fields=fields,
            ticks=ticks,
            tesseract=tesseract,
            progress=_progress(as_json),
            steps=steps,
        )
    if not result["forms"]:
        reasons = "; ".join(f"{s['form']}: {s['why']}" for s in result["skipped"])
        raise typer.BadParameter(f"no fillable form in {folder} ({reasons})", param_hint="--forms")
    print(json.dumps(result, indent=2) if as_json else format_table(result))


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
    backend: Backend = "both",
    postgres_url: PostgresUrl = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox",
) -> None:
    """Inbox and case page response times (p50/p95) over 100,000 seeded cases, in-process."""
    from tools.bench.inbox import TARGET_P95_MS, bench_inbox

    with progress() as steps:
        result = bench_inbox(
            cases=cases,
            requests=requests,
            backend=backend,
            postgres_url=postgres_url,
            progress=_progress(as_json),
            steps=steps,
        )
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print_bench_inbox(result, TARGET_P95_MS)
    if any(numbers.get("failures") for numbers in result.values()):
        raise typer.Exit(1)


@bench_app.command("kpi")
@friendly
def bench_kpi_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cases: Annotated[int, typer.Option(min=1, help="Cases to seed (or find seeded)")] = 100_000,
    requests: Annotated[
        int, typer.Option(min=1, help="Timed requests of the page, cold and as served")
    ] = 40,
    keep: Annotated[
        Path | None,
        typer.Option(help="SQLite file to seed once and reuse on later runs (default: temporary)"),
    ] = None,
    postgres_url: Annotated[
        str | None,
        typer.Option(help="Measure on this throw-away PostgreSQL database instead (emptied)"),
    ] = None,
) -> None:
    """KPI dashboard response times (p50/p95, cold and as served) over 100,000 seeded cases."""
    from tools.bench.kpi import TARGET_P95_MS, bench_kpi

    with progress() as steps:
        result = bench_kpi(
            cases=cases,
            requests=requests,
            keep=keep,
            postgres_url=postgres_url,
            progress=lambda message: err.print(message, highlight=False),
            steps=steps,
        )
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        for backend, numbers in result.items():
            console.print(
                f"{backend}: {numbers['cases']:,} cases; /kpi cold p50 {numbers['cold_p50_ms']} "
                f"ms, p95 {numbers['cold_p95_ms']} ms; as served p50 {numbers['served_p50_ms']} "
                f"ms, p95 {numbers['served_p95_ms']} ms (target p95 {TARGET_P95_MS:g} ms)"
            )
    if any(numbers["failures"] for numbers in result.values()):
        for numbers in result.values():
            for failure in numbers["failures"]:
                err.print(f"[red]failed request:[/red] {failure}", highlight=False)
        raise typer.Exit(1)


@bench_app.command("e2e")
@friendly
def bench_e2e_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cases: Annotated[int, typer.Option(min=1, help="Applications submitted at once")] = 100,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="Case runners and OCR workers of the main run")
    ] = 2,
    backend: Backend = "both",
    postgres_url: Annotated[
        str, typer.Option(help="A throw-away case database (created if missing, emptied)")
    ] = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_e2e",
    prefect_postgres_url: Annotated[
        str, typer.Option(help="A throw-away database for the Prefect server (dropped, created)")
    ] = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_e2e_prefect",
    timeout: Annotated[float, typer.Option(help="Seconds a run may take to reach its gates")] = (
        1800
    ),
) -> None:
    """Upload to first gate through the real services: a burst of mixed cases on 1, 2, W workers."""
    from cli.bench_services import bench_services, free_port_settings
    from tools.bench.e2e_runs import bench_e2e

    backends = _backends(backend)
    with free_port_settings():
        result = bench_e2e(
            bench_services,
            cases=cases,
            workers=workers,
            backends=backends,
            urls={"cases": postgres_url, "prefect": prefect_postgres_url},
            timeout=timeout,
            # on stderr even with --json: a full run takes many minutes
            progress=lambda message: err.print(message, highlight=False),
        )
    _print_numbers(result, as_json)


@bench_app.command("orchestration")
@friendly
def bench_orchestration_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    runs: Annotated[int, typer.Option(min=1, help="Timed flow runs of each kind")] = 5,
) -> None:
    """Prefect's cost per flow run: a process per run (serve), in-process runner, deferred tasks."""
    from cli.bench_services import bench_services, free_port_settings
    from tools.bench.orchestration import bench_orchestration

    with free_port_settings(), bench_services(workers=False):
        result = bench_orchestration(runs, progress=_progress(as_json))
    _print_numbers(result, as_json)


@bench_app.command("review")
@friendly
def bench_review_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cases: Annotated[int, typer.Option(min=1, help="Cases built, extracted and reviewed")] = 300,
    decided: Annotated[
        int, typer.Option(min=0, help="Decided cases seeded in the database first")
    ] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the planted problems and documents")] = 1,
) -> None:
    """Reviewers' precision and recall per finding type, and the review's time per case."""
    from tools.bench.review import bench_review

    result = bench_review(
        cases=cases,
        decided=decided,
        seed=seed,
        say=lambda message: err.print(message, highlight=False),
    )
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table("Finding type", "Precision", "Recall", "Planted", "Found", box=box.SIMPLE)
    for code, numbers in result.items():
        if isinstance(numbers, dict) and "precision" in numbers:
            table.add_row(
                code,
                str(numbers["precision"]),
                str(numbers["recall"]),
                str(numbers["planted"]),
                str(numbers["found"]),
            )
    console.print(table)
    console.print(
        f"median review {result['median_s_per_case']} s a case "
        f"(p95 {result['p95_s_per_case']} s) over {result['cases']} cases, "
        f"{result['database']['seeded_cases']} seeded"
    )


@bench_app.command("precedents")
@friendly
def bench_precedents_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    cases: Annotated[int, typer.Option(min=10, help="Decided cases to seed")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="Timed searches")] = 100,
    backend: Backend = "sqlite",
    postgres_url: PostgresUrl = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_precedents",
) -> None:
    """Nearest-precedent search over 100,000 decided cases: load, refresh, embed, search."""
    from tools.bench.precedents import bench_precedents

    result = bench_precedents(
        cases=cases,
        queries=queries,
        backend=backend,
        postgres_url=postgres_url,
        progress=_progress(as_json),
    )
    if as_json:
        print(json.dumps(result, indent=2))
        return
    console.print(f"model: {result['model']}")
    for name in ("sqlite", "postgres"):
        if name in result:
            n = result[name]
            console.print(
                f"{name}: {n['cases']:,} precedents, seeded in {n['seed_s']} s; cold load "
                f"{n['cold_load_s']} s, matrix {n['matrix_mb']} MB; per query p50/p95 ms: "
                f"refresh {n['refresh_ms']['p50']}/{n['refresh_ms']['p95']}, embed "
                f"{n['embed_ms']['p50']}/{n['embed_ms']['p95']}, search "
                f"{n['search_ms']['p50']}/{n['search_ms']['p95']}; recall@5 {n['recall_at_5']}",
                highlight=False,
            )
