"""`permits catalogue` and `permits rules`: check the catalogue, run rule tests, diff a draft."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.output import console, err, friendly, option_date
from cli.progress import progress

__all__ = ["catalogue_app", "rules_app"]


catalogue_app = typer.Typer(
    help="The permit catalogue (rules, forms, letters).", no_args_is_help=True
)


rules_app = typer.Typer(help="Eligibility rule files and their inline tests.", no_args_is_help=True)


@catalogue_app.command("check")
@friendly
def catalogue_check(
    folder: Annotated[
        Path | None, typer.Option(help="Catalogue folder (default: settings)")
    ] = None,
) -> None:
    """Validate every permit type: schemas, rule expressions, inline tests, letter templates."""
    from cases.authoring import check_catalogue

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
    from cases.authoring import impact_of_draft
    from cases.catalogue import get_permit_type, load_ruleset
    from cases.db import ensure_migrated, session_scope

    since_date = option_date(since, "--since")
    ruleset = load_ruleset(draft)
    chosen = get_permit_type(_permit_type_of_draft(draft, permit_type))
    ensure_migrated()
    with session_scope() as session, progress() as steps:
        report = impact_of_draft(session, chosen, ruleset, since=since_date, steps=steps)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        _print_impact(report, limit)
