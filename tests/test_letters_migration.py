"""Migration 0007 moves letters issued before it into the content store, and back on downgrade.

A database at revision 0006 is filled with letter rows of the old shape (absolute paths into
``<data>/letters/<reference>/``): one whose files are where its row says, one whose data folder
has since moved, one whose files are gone. After the upgrade each row names its files by a path
inside the data folder, and each file found is in the store under its sha256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from cases.db import alembic_config, get_engine, session_scope
from cases.documents import resolve_stored_path
from cases.letters import issue_letters
from cases.models import Letter
from cases.settings import get_settings
from tests.factories import decided_case, letter_pdf

pytestmark = pytest.mark.usefixtures("db")

FILES = {"html": b"<p>Your licence is approved.</p>", "pdf": b"%PDF-1.7 approved letter"}
MISSING_PDF_SHA256 = "ab" * 32


def _insert(connection: Any, table: str, **values: Any) -> None:
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'), values)


def _old_letter(connection: Any, number: int, folder: Path, pdf_sha256: str) -> None:
    reference = f"OLD-{number}"
    _insert(
        connection,
        "case",
        id=number,
        reference=reference,
        permit_type="food-business-licence",
        status="letter_issued",
        submitted_at="2026-11-01 09:00:00",
        updated_at="2026-11-01 09:00:00",
    )
    _insert(
        connection,
        "letter",
        id=number,
        case_id=number,
        outcome="approve",
        language="en",
        template="food-business-licence/approve.en.html.j2",
        template_sha256="0" * 64,
        html_path=str(folder / reference / "approve.en.html"),
        pdf_path=str(folder / reference / "approve.en.pdf"),
        pdf_sha256=pdf_sha256,
        created_at="2026-11-01 10:00:00",
    )


def _write_old_files(reference: str) -> None:
    folder = get_settings().resolved_data_dir / "letters" / reference
    folder.mkdir(parents=True, exist_ok=True)
    for kind, data in FILES.items():
        (folder / f"approve.en.{kind}").write_bytes(data)


def _sha256(kind: str) -> str:
    return hashlib.sha256(FILES[kind]).hexdigest()


@pytest.fixture
def upgraded(db: str) -> dict[int, Letter]:
    data_dir = get_settings().resolved_data_dir
    config = alembic_config(db)
    command.downgrade(config, "0006")
    try:
        _write_old_files("OLD-1")
        _write_old_files("OLD-2")
        with get_engine(db).begin() as connection:
            _old_letter(connection, 1, data_dir / "letters", _sha256("pdf"))
            _old_letter(connection, 2, Path("/srv/old-disk/permits/letters"), _sha256("pdf"))
            _old_letter(connection, 3, data_dir / "letters", MISSING_PDF_SHA256)
    finally:
        command.upgrade(config, "head")
    with session_scope() as session:
        return {letter.case_id: letter for letter in session.exec(select(Letter))}


@pytest.mark.parametrize("case_id", [1, 2], ids=["in place", "data folder moved"])
def test_an_old_letter_found_is_copied_into_the_store_and_named_inside_the_data_folder(
    upgraded: dict[int, Letter], case_id: int
) -> None:
    letter = upgraded[case_id]
    for kind, stored, sha256 in (
        ("html", letter.html_path, letter.html_sha256),
        ("pdf", letter.pdf_path, letter.pdf_sha256),
    ):
        assert sha256 is not None
        assert sha256 == _sha256(kind)
        assert stored == f"documents/{sha256[:2]}/{sha256}"
        assert resolve_stored_path(stored).read_bytes() == FILES[kind]
    old = get_settings().resolved_data_dir / "letters" / f"OLD-{case_id}" / "approve.en.pdf"
    assert old.read_bytes() == FILES["pdf"], "copied, not moved: the old file stays until removed"


def test_an_old_letter_whose_files_are_gone_is_named_where_they_belong(
    upgraded: dict[int, Letter],
) -> None:
    letter = upgraded[3]
    assert letter.pdf_path == "letters/OLD-3/approve.en.pdf"
    assert letter.html_path == "letters/OLD-3/approve.en.html"
    assert letter.pdf_sha256 == MISSING_PDF_SHA256
    assert letter.html_sha256 is None


def test_downgrade_puts_a_letter_back_where_the_old_code_kept_it(db: str) -> None:
    [letter] = issue_letters(decided_case())
    assert letter is not None
    pdf = letter_pdf(letter)
    config = alembic_config(db)
    command.downgrade(config, "0006")
    try:
        with get_engine(db).connect() as connection:
            row = connection.execute(text("SELECT pdf_path FROM letter")).one()
    finally:
        command.upgrade(config, "head")
    assert Path(row.pdf_path).is_absolute()
    assert Path(row.pdf_path).read_bytes() == pdf
