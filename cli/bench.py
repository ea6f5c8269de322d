"""`permits bench ocr|forms|rules|inbox|review`: the benchmarks the README quotes (tools/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.table import Table

from cli.output import console, err, friendly
from cli.progress import progress

__all__ = ["bench_app"]


bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
_Command = TypeVar("_Command", bound=Callable[..., None])


def _one_backend(value: str) -> str:
    if value not in ("sqlite", "postgres", "both"):
        raise typer.BadParameter("choose sqlite, postgres or both")
    return value


#: The databases a benchmark runs on.
Backend = Annotated[str, typer.Option(help="sqlite, postgres or both", callback=_one_backend)]
PostgresUrl = Annotated[
    str, typer.Option(help="A throw-away PostgreSQL database (created if missing, emptied)")
]
#: The page benchmarks' (inbox, kpi) cases to seed and requests to time.
SeededCases = Annotated[int, typer.Option(min=1, help="Cases to seed in each database")]
TimedRequests = Annotated[int, typer.Option(min=1, help="Timed requests of each page")]


def _backends(backend: str) -> tuple[str, ...]:
    return ("sqlite", "postgres") if backend == "both" else (backend,)


#: ``--json``, which every benchmark takes: its figures as JSON on stdout, progress on stderr.
AsJson = Annotated[bool, typer.Option("--json", help="Print the figures as JSON")]


def _benchmark(name: str) -> Callable[[_Command], _Command]:
    """Register ``permits bench NAME``, its domain errors shown as one line."""

    def register(command: _Command) -> _Command:
        return bench_app.command(name)(friendly(command))

    return register


def _say(message: str) -> None:
    err.print(message, highlight=False)


def _progress(as_json: bool) -> Callable[[str], None] | None:
    """Progress lines on stderr, none when the output is JSON."""
    return None if as_json else _say


def _quiet(message: str) -> None:
    """No progress lines: the bars say it."""


def _measure(bench: Callable[..., dict[str, Any]], **options: Any) -> dict[str, Any]:
    """Run one benchmark with its steps drawn as progress bars on stderr."""
    with progress() as steps:
        return bench(steps=steps, **options)


def _show(
    result: dict[str, Any], as_json: bool, text: Callable[[dict[str, Any]], None] | None = None
) -> None:
    """The figures as JSON, or as ``text`` writes them (by default a line a figure)."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        (text or _print_lines)(result)


def _print_lines(result: dict[str, Any]) -> None:
    """A line per figure, under a heading per group of figures."""
    for key, value in result.items():
        if isinstance(value, dict):
            console.print(f"[bold]{key}[/bold]")
            for name, number in value.items():
                console.print(f"  {name:24} {number}")
        else:
            console.print(f"{key:24} {value}")


@_benchmark("rules")
def bench_rules_command(
    as_json: AsJson = False,
    cases: Annotated[int, typer.Option(help="Generated cases for the compiled run")] = 20_000,
    stored: Annotated[int, typer.Option(help="Stored cases for the impact run (0: skip)")] = (
        100_000
    ),
) -> None:
    """Rule evaluation speed (compiled and cold) and an impact run over 100,000 stored cases."""
    from tools.bench.rules import bench_rules

    _show(_measure(bench_rules, cases=cases, stored=stored), as_json)


@_benchmark("ocr")
def bench_ocr_command(
    as_json: AsJson = False,
    pages: Annotated[int, typer.Option(help="Degraded scans to read")] = 30,
    readtext_pages: Annotated[
        int, typer.Option(help="Of which plain readtext reads (~25-45 s a page here)")
    ] = 4,
) -> None:
    """OCR accuracy and speed: this pipeline vs plain easyocr readtext vs Tesseract 5."""
    from tools.bench.ocr import run_bench

    _measure(run_bench, n=pages, as_json=as_json, readtext_pages=readtext_pages)


@_benchmark("forms")
def bench_forms_command(
    as_json: AsJson = False,
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
    result = _measure(
        bench_forms,
        forms_dir=folder,
        seed=seed,
        pages=pages,
        fields=fields,
        ticks=ticks,
        tesseract=tesseract,
        progress=_progress(as_json),
    )
    if not result["forms"]:
        reasons = "; ".join(f"{s['form']}: {s['why']}" for s in result["skipped"])
        raise typer.BadParameter(f"no fillable form in {folder} ({reasons})", param_hint="--forms")
    _show(result, as_json, lambda figures: print(format_table(figures)))


def _print_bench_inbox(result: dict[str, Any]) -> None:
    """A table of the response times per database, then each database's verdict."""
    from tools.bench.inbox import TARGET_P95_MS

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
        slow = [p for p in ("inbox", "case") if numbers[f"{p}_p95_ms"] > TARGET_P95_MS]
        verdict = (
            f"p95 over the {TARGET_P95_MS:g} ms target: {', '.join(slow)}"
            if slow
            else f"p95 within the {TARGET_P95_MS:g} ms target"
        )
        console.print(
            f"{backend}: {numbers['open_tasks']:,} open tasks, {numbers['requests']} timed "
            f"requests of each page; {verdict}"
        )


@_benchmark("inbox")
def bench_inbox_command(
    as_json: AsJson = False,
    cases: SeededCases = 100_000,
    requests: TimedRequests = 200,
    backend: Backend = "both",
    postgres_url: PostgresUrl = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox",
) -> None:
    """Inbox and case page response times (p50/p95) over 100,000 seeded cases, in-process."""
    from tools.bench.inbox import bench_inbox

    result = _measure(
        bench_inbox,
        cases=cases,
        requests=requests,
        backend=backend,
        postgres_url=postgres_url,
        progress=_progress(as_json),
    )
    _show(result, as_json, _print_bench_inbox)
    if any(numbers.get("failures") for numbers in result.values()):
        raise typer.Exit(1)


@_benchmark("kpi")
def bench_kpi_command(
    as_json: AsJson = False,
    cases: SeededCases = 100_000,
    requests: TimedRequests = 40,
    keep: Annotated[
        Path | None,
        typer.Option(help="SQLite file to seed once and reuse on later runs (default: temporary)"),
    ] = None,
    postgres_url: Annotated[
        str | None,
        typer.Option(help="Measure on this throw-away PostgreSQL database instead (emptied)"),
    ] = None,
    keep_postgres: Annotated[
        bool,
        typer.Option(
            help="Do not empty --postgres-url: seed it once and reuse its cases on later runs"
        ),
    ] = False,
) -> None:
    """KPI dashboard response times (p50/p95, cold and as served) over 100,000 seeded cases."""
    from tools.bench.kpi import bench_kpi

    result = _measure(
        bench_kpi,
        cases=cases,
        requests=requests,
        keep=keep,
        postgres_url=postgres_url,
        keep_postgres=keep_postgres,
        progress=_say,
    )
    _show(result, as_json, _print_bench_kpi)
    if any(numbers["failures"] for numbers in result.values()):
        for numbers in result.values():
            for failure in numbers["failures"]:
                err.print(f"[red]failed request:[/red] {failure}", highlight=False)
        raise typer.Exit(1)


def _print_bench_kpi(result: dict[str, Any]) -> None:
    from tools.bench.kpi import TARGET_P95_MS

    for backend, numbers in result.items():
        console.print(
            f"{backend}: {numbers['cases']:,} cases; /kpi cold p50 {numbers['cold_p50_ms']} "
            f"ms, p95 {numbers['cold_p95_ms']} ms; as served p50 {numbers['served_p50_ms']} "
            f"ms, p95 {numbers['served_p95_ms']} ms (target p95 {TARGET_P95_MS:g} ms)"
        )


@_benchmark("e2e")
def bench_e2e_command(
    as_json: AsJson = False,
    cases: Annotated[int, typer.Option(min=1, help="Applications submitted at once")] = 100,
    workers: Annotated[
        int, typer.Option(min=1, max=16, help="Case runners and OCR workers of the main run")
    ] = 2,
    backend: Backend = "both",
    postgres_url: PostgresUrl = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_e2e",
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
        result = _measure(
            bench_e2e,
            start=bench_services,
            cases=cases,
            workers=workers,
            backends=backends,
            urls={"cases": postgres_url, "prefect": prefect_postgres_url},
            timeout=timeout,
            progress=_progress(as_json),
        )
    _show(result, as_json)


@_benchmark("orchestration")
def bench_orchestration_command(
    as_json: AsJson = False,
    runs: Annotated[int, typer.Option(min=1, help="Timed flow runs of each kind")] = 5,
) -> None:
    """Prefect's cost per flow run: a process per run (serve), in-process runner, deferred tasks."""
    from cli.bench_services import bench_services, free_port_settings
    from tools.bench.orchestration import bench_orchestration

    with free_port_settings(), bench_services(workers=False):
        result = _measure(bench_orchestration, runs=runs, progress=_progress(as_json))
    _show(result, as_json)


@_benchmark("review")
def bench_review_command(
    as_json: AsJson = False,
    cases: Annotated[int, typer.Option(min=1, help="Cases built, extracted and reviewed")] = 300,
    decided: Annotated[
        int, typer.Option(min=0, help="Decided cases seeded in the database first")
    ] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the planted problems and documents")] = 1,
) -> None:
    """Reviewers' precision and recall per finding type, and the review's time per case."""
    from tools.bench.review import bench_review

    result = _measure(
        bench_review, cases=cases, decided=decided, seed=seed, say=_progress(as_json) or _quiet
    )
    _show(result, as_json, _print_bench_review)


def _print_bench_review(result: dict[str, Any]) -> None:
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


@_benchmark("precedents")
def bench_precedents_command(
    as_json: AsJson = False,
    cases: Annotated[int, typer.Option(min=10, help="Decided cases to seed")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="Timed searches")] = 100,
    backend: Backend = "sqlite",
    postgres_url: PostgresUrl = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_precedents",
) -> None:
    """Nearest-precedent search over 100,000 decided cases: load, refresh, embed, search."""
    from tools.bench.precedents import bench_precedents

    result = _measure(
        bench_precedents,
        cases=cases,
        queries=queries,
        backend=backend,
        postgres_url=postgres_url,
        progress=_progress(as_json),
    )
    _show(result, as_json, _print_bench_precedents)


def _print_bench_precedents(result: dict[str, Any]) -> None:
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
