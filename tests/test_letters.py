"""Issuing a decision letter: printed with no lock held, recorded once, stored by its content.

The letter's row names its files by paths inside the data folder, so the folder can move; a
second click while the first letter prints finds that letter instead of making another.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlmodel import col, func, select

from cases.db import session_scope
from cases.documents import resolve_stored_path
from cases.errors import StoredPathOutsideDataFolder
from cases.letters import issue_letters
from cases.lifecycle import CaseStatus
from cases.models import AuditEvent, Case, Letter
from cases.settings import get_settings
from tests.factories import decided_case, letter_pdf

pytestmark = pytest.mark.usefixtures("db")
_issuing = importlib.import_module("cases.letters.drafting")


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _letters(case_id: int) -> list[Letter]:
    with session_scope() as session:
        return list(session.exec(select(Letter).where(Letter.case_id == case_id)))


def _events(case_id: int, action: str) -> int:
    with session_scope() as session:
        statement = select(func.count()).where(
            col(AuditEvent.case_id) == case_id, col(AuditEvent.action) == action
        )
        return session.exec(statement).one()


def _status(case_id: int) -> CaseStatus:
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.status


def test_a_letter_is_stored_by_its_content_under_a_path_inside_the_data_folder() -> None:
    case_id = decided_case("refuse", "The premises have too few exits.")

    [letter] = issue_letters(case_id)

    for stored, sha256 in (
        (letter.pdf_path, letter.pdf_sha256),
        (letter.html_path, letter.html_sha256),
    ):
        assert not Path(stored).is_absolute()
        file = resolve_stored_path(stored)
        assert file.is_relative_to(get_settings().resolved_data_dir)
        assert file.name == sha256
        assert hashlib.sha256(file.read_bytes()).hexdigest() == sha256
    assert "The premises have too few exits." in _text(letter_pdf(letter))
    assert _status(case_id) == CaseStatus.LETTER_ISSUED


def test_issuing_again_returns_the_first_letter_and_records_nothing_more() -> None:
    case_id = decided_case()
    [first] = issue_letters(case_id)

    [again] = issue_letters(case_id)

    assert again.id == first.id
    assert len(_letters(case_id)) == 1
    assert _events(case_id, "letter.issued") == 1


def test_a_second_click_while_the_letter_prints_finds_it_instead_of_waiting_or_doubling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first issue is still printing when a second one runs to the end: were the case
    locked while printing, the second would wait for the first (and here, time out)."""
    case_id = decided_case()
    print_pdf = _issuing.print_pdf
    second: list[list[Letter] | None] = []

    def printing_while_someone_clicks_again(
        html: str, what: str, root: Path | None = None
    ) -> bytes:
        if not second:
            clicked = threading.Thread(target=lambda: second.append(issue_letters(case_id)))
            second.append(None)  # printing again inside the second click goes straight through
            clicked.start()
            clicked.join(timeout=20)
            assert not clicked.is_alive(), "the second click waited for the first one's printing"
        return print_pdf(html, what)

    monkeypatch.setattr(_issuing, "print_pdf", printing_while_someone_clicks_again)

    [first] = issue_letters(case_id)

    assert second[-1] is not None
    assert [first.id] == [letter.id for letter in second[-1]]
    assert len(_letters(case_id)) == 1
    assert _events(case_id, "letter.issued") == 1
    assert _status(case_id) == CaseStatus.LETTER_ISSUED


def _outside_link(data_dir: Path) -> str:
    link = data_dir / "documents" / "elsewhere.pdf"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(data_dir.parent / "outside.pdf")
    return "documents/elsewhere.pdf"


@pytest.mark.parametrize(
    "stored",
    [
        lambda data: "../outside.pdf",
        lambda data: "documents/../../outside.pdf",
        lambda data: str(data.parent / "outside.pdf"),
        _outside_link,
    ],
    ids=["parent", "parent-inside", "absolute", "link"],
)
def test_a_stored_path_leading_out_of_the_data_folder_is_refused(
    stored: Callable[[Path], str],
) -> None:
    data_dir = get_settings().resolved_data_dir
    path = stored(data_dir)
    with pytest.raises(StoredPathOutsideDataFolder) as refused:
        resolve_stored_path(path)
    assert f"{path!r} leads outside the data folder {data_dir}" in str(refused.value)
    assert "permits db upgrade" in str(refused.value)
