"""`permits letters`: a case's decision letters, and reissuing one (a staff action, with a
reason)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.output import console, friendly

__all__ = ["letters_app"]

letters_app = typer.Typer(
    help="Decision letters: list a case's, reissue one.", no_args_is_help=True
)


@letters_app.command("list")
@friendly
def letters_list(reference: Annotated[str, typer.Argument(help="The case's reference")]) -> None:
    """Every letter of the case, superseded ones included, with where its PDF is stored."""
    from sqlmodel import col, select

    from cases.db import ensure_migrated, session_scope
    from cases.models import Letter
    from cases.repository import get_case_by_reference

    ensure_migrated()
    table = Table("id", "outcome", "language", "version", "issued", "by", "state", "pdf")
    with session_scope() as session:
        case = get_case_by_reference(session, reference)
        statement = select(Letter).where(Letter.case_id == case.id).order_by(col(Letter.id))
        for letter in session.exec(statement):
            table.add_row(
                str(letter.id),
                str(letter.outcome),
                letter.language,
                str(letter.version),
                f"{letter.created_at:%Y-%m-%d %H:%M}",
                letter.issued_by,
                "current" if letter.current else f"superseded by {letter.superseded_by}",
                letter.pdf_path,
            )
    console.print(table)


@letters_app.command("reissue")
@friendly
def letters_reissue(
    reference: Annotated[str, typer.Argument(help="The case's reference")],
    reason: Annotated[
        str, typer.Option(help="Why the letter is reissued (kept in the audit trail)")
    ],
    by: Annotated[str, typer.Option("--by", help="Your staff username (caseworker or senior)")],
    language: Annotated[str, typer.Option(help="en or zh-Hant")] = "en",
) -> None:
    """Print the case's decision letter again as a new version; the old one is kept, superseded,
    and the applicant is sent the new one."""
    from cases.access import Actor, get_user
    from cases.db import ensure_migrated, session_scope
    from cases.errors import NotFound
    from cases.letters import reissue_letter
    from cases.repository import get_case_by_reference

    ensure_migrated()
    with session_scope() as session:
        case_id = get_case_by_reference(session, reference).id
        user = get_user(session, by)
        if user is None or not user.active:
            raise NotFound(
                f"no active staff account '{by}'; an admin creates one with: permits users add"
            )
        actor = Actor(user.username, user.role)
    assert case_id is not None
    letter = reissue_letter(case_id, language, reason, actor=actor)
    console.print(
        f"{reference}: {letter.outcome} letter ({letter.language}) reissued as version "
        f"{letter.version}, letter {letter.id}"
    )
