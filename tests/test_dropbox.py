"""The scanner drop box: a complete application dropped into a permit type's incoming folder
becomes one case and its flow starts; a bad file is set aside with a reason a clerk can act on and
nothing half-created; the same file dropped twice is skipped and recorded; a half-copied file is
not read early; what was left while the watcher was down is processed when it starts."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlmodel import SQLModel, func, select

from cases.audit import readable_payload, values_beside
from cases.catalogue import get_permit_type
from cases.db import session_scope
from cases.intake import ScanReport, scan_drop_box
from cases.models import Applicant, AuditEvent, Case, Document, DropBoxReceipt, utcnow
from cases.settings import get_settings
from cli.dropbox import watch_drop_box
from tests.conftest import Invoke
from tests.factories import FOOD, sample_application

pytestmark = pytest.mark.usefixtures("db")

LATER = dt.timedelta(minutes=1)  # past the 5 s a file needs to settle, short of a folder's 120 s


@pytest.fixture
def drop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A drop box of its own; the food permit's folders."""
    monkeypatch.setenv("PERMITS_DROPBOX_DIR", str(tmp_path / "drop"))
    get_settings.cache_clear()
    yield tmp_path / "drop" / FOOD
    get_settings.cache_clear()


class Flows:
    """Stands in for the Prefect deployment: records which cases' flows were started."""

    def __init__(self) -> None:
        self.started: list[int] = []

    def __call__(self, case_id: int) -> None:
        self.started.append(case_id)


def _scan(flows: Flows | None = None, *, later: dt.timedelta = LATER) -> ScanReport:
    return scan_drop_box(start_flow=flows, now=utcnow() + later)


@cache
def _form_png() -> bytes:
    return sample_application(31).form_png


@cache
def _id_card_png() -> bytes:
    return sample_application(31).id_card_png


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (64, 48), color=shade).save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def _application_pdf() -> bytes:
    """A whole application scanned into one PDF: the office's form (printed from its blank), the
    back of the sheet (blank), then the identity card copy."""
    blank = get_permit_type(FOOD).blank_form
    assert blank is not None
    document = pdfium.PdfDocument(blank)
    form = document[0].render(scale=150 / 72).to_pil().convert("RGB")
    document.close()
    back = Image.new("RGB", form.size, "white")
    card = Image.open(io.BytesIO(_id_card_png())).convert("RGB")
    buffer = io.BytesIO()
    form.save(buffer, format="PDF", save_all=True, append_images=[back, card], resolution=150)
    return buffer.getvalue()


def _put(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _counts() -> dict[str, int]:
    tables: list[type[SQLModel]] = [Case, Document, Applicant, DropBoxReceipt]
    with session_scope() as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


def _events(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _details(event: AuditEvent) -> dict[str, Any]:
    """The event as the case page shows it: file names are kept beside it, not in it."""
    assert "dropped_as" not in event.payload
    with session_scope() as session:
        return readable_payload(event, values_beside(session, [event]).get(event.id or 0))


def _case(reference: str | None) -> tuple[Case, list[Document]]:
    with session_scope() as session:
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        documents = session.exec(select(Document).where(Document.case_id == case.id)).all()
        return case, sorted(documents, key=lambda d: d.id or 0)


def test_a_scanned_application_pdf_becomes_a_case_and_its_flow_starts(drop: Path) -> None:
    _scan()  # creates the folders, as the watcher does when it starts
    _put(drop / "incoming", "counter-0931.pdf", _application_pdf())
    flows = Flows()

    (result,) = _scan(flows).results

    assert result.outcome == "processed"
    case, documents = _case(result.reference)
    assert flows.started == [case.id]
    assert [d.kind for d in documents] == ["application_form", "id_card"]  # the blank back: left
    assert [d.page_count for d in documents] == [1, 1]
    assert list((drop / "incoming").iterdir()) == []
    assert (drop / "processed" / f"{case.reference}_counter-0931.pdf").is_file()
    (submitted,) = _events("case.submitted")
    assert submitted.case_id == case.id
    assert submitted.payload["channel"] == "drop_box"
    (received,) = _events("dropbox.received")
    assert _details(received)["dropped_as"] == "counter-0931.pdf"
    assert [d["kind"] for d in received.payload["documents"]] == ["application_form", "id_card"]


def test_a_sub_folder_with_its_ready_marker_is_one_case_kinds_by_file_name(drop: Path) -> None:
    folder = drop / "incoming" / "chan-tai-man"
    _put(folder, "ID-card.png", _id_card_png())
    _put(folder, "scan0001.png", _form_png())  # no kind in its name: the form comes first
    _put(folder, "tenancy agreement.png", _png(200))
    _put(folder, "Thumbs.db", b"\xd0\xcf\x11\xe0 Windows Explorer's thumbnails")
    flows = Flows()

    assert _scan(flows).results == []  # no READY yet, and not quiet for 2 minutes
    assert folder.is_dir()
    _put(folder, "READY", b"")
    (result,) = _scan(flows).results

    case, documents = _case(result.reference)
    assert {d.filename: d.kind for d in documents} == {
        "ID-card.png": "id_card",
        "scan0001.png": "application_form",
        "tenancy agreement.png": "tenancy_agreement",
    }
    assert flows.started == [case.id]
    assert (drop / "processed" / f"{case.reference}_chan-tai-man" / "READY").is_file()


def test_a_sub_folder_without_a_marker_is_read_once_it_has_been_quiet(drop: Path) -> None:
    folder = drop / "incoming" / "walk-in"
    _put(folder, "form.png", _form_png())
    _put(folder, "id_card.png", _id_card_png())

    assert _scan(later=dt.timedelta(seconds=119)).results == []
    (result,) = _scan(later=dt.timedelta(seconds=121)).results

    assert result.outcome == "processed"
    assert _counts()["Case"] == 1


def test_a_bad_file_is_rejected_with_its_reason_and_nothing_half_created(drop: Path) -> None:
    folder = drop / "incoming" / "mixed"
    _put(folder, "form.png", _form_png())
    _put(folder, "id_card.png", b"Dear officer, my ID card is attached.\n")
    _put(folder, "ready.txt", b"")
    flows = Flows()

    (result,) = _scan(flows).results

    assert result.outcome == "rejected"
    assert _counts() == {"Case": 0, "Document": 0, "Applicant": 0, "DropBoxReceipt": 0}
    assert flows.started == []
    assert (drop / "rejected" / "mixed" / "form.png").is_file()
    reason = (drop / "rejected" / "mixed.reason.txt").read_text(encoding="utf-8")
    assert "The file id_card.png cannot be used" in reason
    assert "not a PDF, PNG, JPEG or TIFF" in reason
    assert "drop the new file into the incoming folder" in reason
    (event,) = _events("dropbox.rejected")
    assert event.payload["reason"]["code"] == "drop_file_refused"
    assert event.payload["reason"]["file"] == "id_card.png"


def test_a_pdf_with_no_page_of_the_form_is_rejected_saying_so(drop: Path) -> None:
    card = Image.open(io.BytesIO(_id_card_png())).convert("RGB")
    buffer = io.BytesIO()
    card.save(buffer, format="PDF", save_all=True, append_images=[card.rotate(180)])
    _put(drop / "incoming", "wrong.pdf", buffer.getvalue())

    (result,) = _scan().results

    assert result.outcome == "rejected"
    assert _counts()["Case"] == 0
    reason = (drop / "rejected" / "wrong.pdf.reason.txt").read_text(encoding="utf-8")
    assert "None of the 2 pages of wrong.pdf is a page of the Application form FBL-1" in reason


def test_an_empty_folder_is_rejected(drop: Path) -> None:
    _put(drop / "incoming" / "nothing", "READY", b"")

    (result,) = _scan().results

    assert result.outcome == "rejected"
    assert "holds no documents" in (drop / "rejected" / "nothing.reason.txt").read_text()


def test_the_same_file_dropped_twice_is_skipped_and_recorded(drop: Path) -> None:
    _put(drop / "incoming", "first.pdf", _application_pdf())
    (first,) = _scan(Flows()).results
    _put(drop / "incoming", "again.pdf", _application_pdf())  # same content, another name
    flows = Flows()

    (second,) = _scan(flows).results

    assert second.outcome == "duplicate"
    assert second.reference == first.reference
    assert flows.started == []
    assert _counts()["Case"] == 1
    reason = (drop / "rejected" / "again.pdf.reason.txt").read_text(encoding="utf-8")
    assert "was already received on" in reason
    assert f"as case {first.reference}, so it was not processed a second time" in reason
    (skipped,) = _events("dropbox.duplicate_skipped")
    assert skipped.case_id == first.case_id
    assert _details(skipped)["dropped_as"] == "again.pdf"


def test_a_half_copied_file_is_not_read_early(drop: Path) -> None:
    incoming = drop / "incoming"
    _scan()
    _put(incoming, "copying.pdf.part", _application_pdf()[:1000])
    fresh = _put(incoming, "just-scanned.pdf", _application_pdf())

    report = scan_drop_box(start_flow=None, now=utcnow())  # written this very second
    assert report.results == []
    assert report.settling == [fresh]
    assert _scan(later=dt.timedelta(hours=1)).results[0].item == f"{FOOD}/just-scanned.pdf"
    assert (incoming / "copying.pdf.part").is_file()  # never read under a temporary name


def test_a_folder_marked_ready_waits_for_its_last_file_to_be_written(drop: Path) -> None:
    folder = drop / "incoming" / "scanning"
    _put(folder, "READY", b"")
    _put(folder, "form.png", _form_png())
    _put(folder, "id_card.png.part", _id_card_png())  # a copy writes it, renames it when done

    assert scan_drop_box(start_flow=None, now=utcnow()).results == []
    assert _scan().results == []  # settled, but a copy still writes under a temporary name
    (folder / "id_card.png.part").rename(folder / "id_card.png")
    assert scan_drop_box(start_flow=None, now=utcnow()).results == []  # just written: too fresh
    (result,) = _scan().results
    assert result.outcome == "processed"


def test_a_case_whose_flow_cannot_start_now_is_kept(drop: Path) -> None:
    _put(drop / "incoming", "form.pdf", _application_pdf())

    def prefect_down(case_id: int) -> None:
        raise ConnectionError("Connection refused")

    (result,) = scan_drop_box(start_flow=prefect_down, now=utcnow() + LATER).results

    assert result.outcome == "processed"  # the resume flow starts it once Prefect answers
    assert _counts()["Case"] == 1
    assert (drop / "processed" / f"{result.reference}_form.pdf").is_file()


def test_a_file_left_while_the_watcher_was_down_is_processed_when_it_starts(
    drop: Path,
) -> None:
    path = _put(drop / "incoming", "overnight.pdf", _application_pdf())
    an_hour_ago = (utcnow() - dt.timedelta(hours=1)).timestamp()
    os.utime(path, (an_hour_ago, an_hour_ago))
    flows = Flows()
    stop = threading.Event()
    stop.set()  # look once (the start-up pass), then stop

    watch_drop_box(start_flow=flows, stop=stop)

    assert len(flows.started) == 1
    assert not path.exists()
    assert _counts()["Case"] == 1


def test_a_folder_that_is_no_permit_type_is_reported(drop: Path, cli: Invoke) -> None:
    stray = _put(drop.parent / "food-licence" / "incoming", "form.png", _form_png())

    report = _scan()
    result = cli("dropbox", "scan", "--no-start")

    assert report.unknown_permit_types == ["food-licence"]
    assert stray.is_file()
    assert "The drop box folder food-licence is not a permit type" in result.output
    assert "food-business-licence" in result.output


def test_permits_dropbox_scan_reports_each_case(drop: Path, cli: Invoke) -> None:
    path = _put(drop / "incoming", "counter.pdf", _application_pdf())
    an_hour_ago = (utcnow() - dt.timedelta(hours=1)).timestamp()
    os.utime(path, (an_hour_ago, an_hour_ago))

    result = cli("dropbox", "scan", "--no-start")

    assert result.exit_code == 0, result.output
    assert f"{FOOD}/counter.pdf: case FBL-" in result.output


def test_the_clerk_s_note_says_why_in_english_and_in_chinese(drop: Path, cli: Invoke) -> None:
    path = _put(drop / "incoming", "photo.png", b"")
    an_hour_ago = (utcnow() - dt.timedelta(hours=1)).timestamp()
    os.utime(path, (an_hour_ago, an_hour_ago))

    result = cli("dropbox", "scan", "--no-start")

    assert result.exit_code == 0, result.output
    assert f"{FOOD}/photo.png: rejected: The file photo.png cannot be used" in result.output
    note = (drop / "rejected" / "photo.png.reason.txt").read_text(encoding="utf-8")
    english, chinese = note.split("\n\n")[:2]
    assert "the file is empty (0 bytes)" in english
    # intake's reason is nested as a fact and said in Chinese too, not quoted in English
    assert "檔案 photo.png 無法使用：檔案是空的（0 位元組）" in chinese
    assert "請重新掃描申請" in chinese
    assert "empty" not in chinese
    (event,) = _events("dropbox.rejected")
    assert event.payload["reason"]["reason"] == {"code": "empty"}
    assert _counts()["Case"] == 0


def test_a_reason_stored_before_refusals_were_facts_still_reads() -> None:
    from cases.facts import render
    from cases.intake.drop_reasons import DROP_FILE_REFUSED

    old = DROP_FILE_REFUSED(file="scan.png", reason="the file is empty (0 bytes)")
    assert render(old).startswith("The file scan.png cannot be used: the file is empty (0 bytes).")
