"""`permits db`, `audit`, `users` and `ocr`: the schema, the audit chain, staff accounts, and
how well OCR reads (with the handwriting recogniser's retraining)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cases.errors import PermitsError
from cases.settings import get_settings
from cli.output import console, err, friendly
from cli.progress import progress

__all__ = ["audit_app", "db_app", "ocr_app", "users_app"]


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


ocr_app = typer.Typer(help="How well extraction reads documents.", no_args_is_help=True)


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Create or update the database schema to this version (safe to run again)."""
    from cases.audit import key_audit_trail
    from cases.db import upgrade_database

    upgrade_database()
    console.print(f"database is up to date: {get_settings().resolved_database_url}")
    rekeyed = key_audit_trail()
    if rekeyed:
        console.print(
            f"audit trail keyed: {rekeyed} events written before the audit key now carry its "
            "MAC (recorded as an audit.rekeyed event); back up the audit key apart from the "
            "database"
        )


@ocr_app.command("corrections")
@friendly
def ocr_corrections(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Per field, how often a person corrected what OCR read (worst first)."""
    from cases.db import ensure_migrated, session_scope
    from cases.extraction import correction_rates

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

    from cases.ocr.model_card import card_path
    from cases.ocr.reader import HANDWRITING_MODEL
    from tools.training.handwriting import missing_fonts, train

    missing = missing_fonts()
    if missing:
        packages = " ".join(missing)
        raise PermitsError(
            f"the handwriting fonts to train on are missing: apt-get install {packages}"
        )
    target = out or HANDWRITING_MODEL
    base = Path(easyocr_en_models.model_dir()) / "english_g2.pth"
    target.parent.mkdir(parents=True, exist_ok=True)
    # the model in use and its card stay whole until both new files are written
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".training-") as folder:
        partial = Path(folder) / target.name
        with progress() as steps_done:
            run = train(
                partial,
                base=base,
                samples=samples,
                steps=steps,
                log=err.print,
                steps_done=steps_done,
            )
        card_path(partial).replace(card_path(target))
        partial.replace(target)
    console.print(
        f"wrote {target} and its card {card_path(target).name}: {run.samples} lines, "
        f"{run.steps} steps, final loss {run.final_loss}, {run.seconds / 60:.0f} minutes; "
        "measure it with `permits bench ocr`"
    )


@audit_app.command("verify")
@friendly
def audit_verify() -> None:
    """Check every event's MAC and link, and the chain against the anchor file's checkpoints."""
    from cases.audit import verify_chain
    from cases.db import ensure_migrated, session_scope

    ensure_migrated()
    with session_scope() as session:
        report = verify_chain(session)
    if report.ok:
        anchors = get_settings().resolved_audit_anchor_file
        console.print(
            f"audit trail intact: {report.events_checked} events checked, "
            f"{report.anchors_checked} checkpoints in {anchors} agree"
            + ("" if report.keyed else " (not keyed yet: run `permits audit anchor` to key it)")
            + (
                " (no checkpoint yet: `permits audit anchor` writes one)"
                if report.keyed and report.events_checked and not report.anchors_checked
                else ""
            )
        )
        return
    where = f" at event {report.first_broken_seq}" if report.first_broken_seq else ""
    err.print(
        f"[red]audit trail broken{where}:[/red] {report.problem} "
        f"({report.events_checked} events before it are intact). What to do: {report.advice}"
    )
    raise typer.Exit(1)


@audit_app.command("anchor")
@friendly
def audit_anchor() -> None:
    """Write the chain head, signed, to the append-only anchor file (keys an unkeyed chain)."""
    from cases.audit import anchor_chain
    from cases.db import ensure_migrated

    ensure_migrated()
    anchor = anchor_chain()
    if anchor is None:
        console.print("the audit trail is empty: nothing to anchor yet")
        return
    console.print(
        f"anchored event {anchor.seq} ({anchor.head[:16]}…) at {anchor.at} in "
        f"{get_settings().resolved_audit_anchor_file}"
    )


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
    from cases.access import create_user
    from cases.db import ensure_migrated, session_scope
    from cases.models import Role

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


@users_app.command("password")
@friendly
def users_password(
    username: str,
    password: Annotated[
        str,
        typer.Option(
            prompt="New password",
            hide_input=True,
            confirmation_prompt=True,
            help="asked for (twice, hidden) when not given",
        ),
    ] = "",
) -> None:
    """Set a staff account's password; its open sessions end (everyone using it logs in again)."""
    from cases.access import change_password
    from cases.db import ensure_migrated, session_scope

    ensure_migrated()
    with session_scope() as session:
        change_password(session, username=username, password=password, actor="cli")
    console.print(f"password of {username} changed; its open sessions have ended")
