"""The admin box editor, server side: the page, the blank's pages as pictures, saving a layout
(every problem named by box and field, nothing written when any), the audit event, uploading a
blank for a flat form, and who may do it — through TestClient, on a copy of the catalogue."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest
import yaml
from PIL import Image
from sqlmodel import col, select

from cases.catalogue import load_permit_type
from cases.db import session_scope
from cases.models import AuditEvent, Role
from cases.settings import PROJECT_ROOT
from tests.catalogues import FOOD, catalogue_at
from tests.forms_pdf import encrypted, without_pages
from tests.web.test_web import TestClient, add_user, csrf, log_in

EDITOR = f"/admin/forms/{FOOD}"


@pytest.fixture
def rules(tmp_path: Path) -> Iterator[Path]:
    """A copy of the food licence's folder: saves write there, never to the shipped files."""
    target = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules" / FOOD, target / FOOD)
    with catalogue_at(target):
        yield target / FOOD


@pytest.fixture
def admin(client: TestClient, rules: Path) -> TestClient:
    add_user("ada", Role.ADMIN)
    assert log_in(client, "ada").status_code == 303
    return client


def shipped_boxes(folder: Path) -> list[dict[str, Any]]:
    form = load_permit_type(folder).form
    return [f.model_dump(mode="json", exclude_none=True) for f in form.fields]


def save(
    client: TestClient, boxes: Any, token: str | None = None, *, based_on: str | None = None
) -> httpx.Response:
    headers = {"X-CSRF-Token": token if token is not None else csrf(client)}
    body: dict[str, Any] = {"boxes": boxes}
    if based_on is not None:
        body["based_on"] = based_on
    response: httpx.Response = client.post(EDITOR, json=body, headers=headers)
    return response


def editor_data(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="form-editor-data">(.*?)</script>', html, re.S
    )
    assert found, "the page carries its layout"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def form_saved_events() -> list[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).where(col(AuditEvent.action) == "catalogue.form_saved")
        return list(session.exec(query))


def test_the_editor_shows_each_page_of_the_blank_with_its_boxes(
    admin: TestClient, rules: Path
) -> None:
    page = admin.get(EDITOR)
    assert page.status_code == 200
    data = editor_data(page.text)
    assert data["boxes"] == shipped_boxes(rules)
    (first,) = data["pages"]
    assert (first["width_mm"], first["height_mm"]) == (210, 297)
    assert "/static/form_editor.js" in page.text
    assert "Upload the blank form" not in page.text  # it has one
    picture = admin.get(first["image"])
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(picture.content)) as image:
        assert image.width == pytest.approx(210 / 25.4 * 110, abs=2)  # rendered at 110 dpi
    assert admin.get(f"{EDITOR}/pages/2.png").status_code == 404
    assert admin.get("/admin/forms/..%2Fetc").status_code == 404


def test_a_valid_layout_is_written_as_form_yaml_and_audited(admin: TestClient, rules: Path) -> None:
    before = (rules / "form.yaml").read_bytes()
    boxes = shipped_boxes(rules)
    boxes[2]["box_mm"] = [120, 86, 70, 11]  # phone moved right
    boxes[7] = {  # seating capacity made a comb of 4 cells
        "field": "seating_capacity",
        "page": 1,
        "box_mm": [20, 194, 40, 11],
        "kind": "comb",
        "cells": 4,
    }
    response = save(admin, boxes)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["saved"] is True
    assert answer["message"] == f"Saved {len(boxes)} boxes to form.yaml."
    written = (rules / "form.yaml").read_bytes()
    assert answer["sha256"] == hashlib.sha256(written).hexdigest()
    text = written.decode()
    assert text.startswith("# Layout of application form FBL-1")  # the author's header is kept
    assert "# Boxes saved in the admin box editor on " in text
    assert "  - {field: phone, page: 1, box_mm: [120, 86, 70, 11], allowlist: " in text
    assert (
        "{field: seating_capacity, page: 1, box_mm: [20, 194, 40, 11], kind: comb, cells: 4}"
        in text
    )
    reloaded = load_permit_type(rules)
    assert [f.model_dump(mode="json", exclude_none=True) for f in reloaded.form.fields] == boxes
    assert editor_data(admin.get(EDITOR).text)["boxes"] == boxes  # the page shows what was saved
    (event,) = form_saved_events()
    assert event.actor == "ada"
    assert event.payload == {
        "permit_type": FOOD,
        "file": "form.yaml",
        "sha256": answer["sha256"],
        "boxes": len(boxes),
        "replaced_sha256": hashlib.sha256(before).hexdigest(),
    }


def test_a_save_over_another_admins_newer_save_is_refused(admin: TestClient, rules: Path) -> None:
    loaded = editor_data(admin.get(EDITOR).text)["layout_sha256"]
    assert loaded == hashlib.sha256((rules / "form.yaml").read_bytes()).hexdigest()
    boxes = shipped_boxes(rules)
    boxes[2]["box_mm"] = [120, 86, 70, 11]
    first = save(admin, boxes, based_on=loaded)  # the other admin, who opened it at the same time
    assert first.status_code == 200, first.text
    theirs = (rules / "form.yaml").read_bytes()
    boxes[2]["box_mm"] = [122, 86, 68, 11]
    late = save(admin, boxes, based_on=loaded)
    assert late.status_code == 409
    assert late.json()["message"].startswith("Another admin saved this form after you opened it")
    assert (rules / "form.yaml").read_bytes() == theirs  # their boxes are not undone
    assert len(form_saved_events()) == 1
    again = save(admin, boxes, based_on=first.json()["sha256"])  # after a reload
    assert again.status_code == 200, again.text


def test_every_problem_names_its_box_and_nothing_is_written(admin: TestClient, rules: Path) -> None:
    before = (rules / "form.yaml").read_bytes()
    boxes = shipped_boxes(rules)
    boxes[0]["box_mm"] = [20, 62, 200, 11]  # off the page
    boxes[2]["box_mm"] = [90, 86, 75, 11]  # over hkid's box
    boxes[1]["cells"] = 1  # hkid, a comb of one cell
    n = len(boxes)
    boxes.append(
        {"field": "favourite_colour", "page": 1, "box_mm": [20, 250, 40, 10], "kind": "text"}
    )
    boxes.append({"field": "", "page": 1, "box_mm": [20, 270, 40, 10], "kind": "text"})
    boxes.append({"field": "phone", "page": 1, "box_mm": [100, 270, 0, 10], "kind": "text"})
    response = save(admin, boxes)
    assert response.status_code == 422
    answer = response.json()
    assert answer["saved"] is False
    said = {(p["box"], p["field"], p["message"]) for p in answer["problems"]}
    assert said >= {
        (
            0,
            "applicant_name",
            "applicant_name's box [20, 62, 200, 11] runs off page 1 (210 x 297 mm)",
        ),
        (1, "hkid", "hkid is a comb of 1 cell(s): a comb has at least 2 (else make it text)"),
        (
            2,
            "phone",
            "phone's box overlaps hkid's (fields.1) on page 1: each would read the other's writing",
        ),
        (n, "favourite_colour", "'favourite_colour' is not a field of permit.yaml"),
        (n + 1, "", f"box fields.{n + 1} names no field of permit.yaml"),
    }
    (invalid,) = [p for p in answer["problems"] if p["box"] == n + 2]
    assert invalid["message"].startswith(f"box fields.{n + 2} is not a box OCR can read: ")
    assert (rules / "form.yaml").read_bytes() == before
    assert form_saved_events() == []


def test_a_layout_without_every_required_field_saves_and_says_what_is_missing(
    admin: TestClient, rules: Path
) -> None:
    boxes = [b for b in shipped_boxes(rules) if b["field"] != "business_name"]
    answer = save(admin, boxes).json()
    assert answer["saved"] is True
    assert [w["message"] for w in answer["warnings"]] == [
        "required field business_name of permit.yaml is not placed on the form"
    ]


def test_problems_are_said_in_chinese_on_a_chinese_page(admin: TestClient, rules: Path) -> None:
    admin.cookies.set("lang", "zh-Hant")
    boxes = shipped_boxes(rules)
    boxes[0]["box_mm"] = [20, 62, 200, 11]
    answer = save(admin, boxes).json()
    assert answer["problems"][0]["message"].startswith("applicant_name")
    assert "超出" in answer["problems"][0]["message"]
    assert "儲存" in answer["message"]


def test_only_an_admin_with_the_token_may_save(client: TestClient, rules: Path) -> None:
    before = (rules / "form.yaml").read_bytes()
    add_user("casey")
    log_in(client, "casey")
    for path in (EDITOR, f"{EDITOR}/pages/1.png"):
        assert client.get(path).status_code == 403
    assert save(client, shipped_boxes(rules)).status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client)})
    add_user("ada", Role.ADMIN)
    log_in(client, "ada")
    assert save(client, shipped_boxes(rules), token="forged").status_code == 403
    assert (rules / "form.yaml").read_bytes() == before
    assert form_saved_events() == []


# --- a flat form with no blank yet ------------------------------------------------------------


@pytest.fixture
def without_blank(rules: Path) -> Path:
    (rules / "form.pdf").unlink()
    text = (rules / "form.yaml").read_text(encoding="utf-8")
    text = re.sub(r"blank_pdf: .*\nblank_sha256: .*\n", "", text)
    (rules / "form.yaml").write_text(text, encoding="utf-8")
    return rules


def upload(client: TestClient, name: str, data: bytes, kind: str) -> httpx.Response:
    response: httpx.Response = client.post(
        f"{EDITOR}/blank",
        data={"csrf_token": csrf(client)},
        files={"blank": (name, data, kind)},
        follow_redirects=False,
    )
    return response


def a_pdf(pages: int, size_pt: tuple[float, float] = (595.28, 841.89)) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(*size_pt)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_blank_pdf_is_stored_as_form_pdf_with_its_hash(
    admin: TestClient, without_blank: Path
) -> None:
    page = admin.get(EDITOR)
    assert "Upload the blank form" in page.text
    assert editor_data(page.text)["pages"][0]["image"] is None
    blank = a_pdf(2, (841.89, 595.28))  # two landscape A4 pages
    response = upload(admin, "office-form.pdf", blank, "application/pdf")
    assert response.status_code == 303, response.text
    assert (without_blank / "form.pdf").read_bytes() == blank
    layout = yaml.safe_load((without_blank / "form.yaml").read_text(encoding="utf-8"))
    assert layout["blank_pdf"] == "form.pdf"
    assert layout["blank_sha256"] == hashlib.sha256(blank).hexdigest()
    assert layout["pages"] == [{"size_mm": [297, 210]}, {"size_mm": [297, 210]}]
    assert len(layout["fields"]) == len(shipped_boxes(PROJECT_ROOT / "rules" / FOOD))  # kept
    pages = editor_data(admin.get(EDITOR).text)["pages"]
    assert [p["number"] for p in pages] == [1, 2]
    assert admin.get(pages[1]["image"]).status_code == 200
    with session_scope() as session:
        (event,) = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "catalogue.blank_uploaded")
        )
    assert event.payload["sha256"] == layout["blank_sha256"]


def test_a_scanned_blank_image_becomes_a_one_page_pdf(
    admin: TestClient, without_blank: Path
) -> None:
    scan = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(scan, "PNG", dpi=(150, 150))  # A4 at 150 dpi
    assert upload(admin, "scan.png", scan.getvalue(), "image/png").status_code == 303
    layout = yaml.safe_load((without_blank / "form.yaml").read_text(encoding="utf-8"))
    (size,) = layout["pages"]
    assert size["size_mm"] == pytest.approx([210, 297], abs=0.5)
    assert (without_blank / "form.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda: b"not a form at all", "must be a PDF or a scanned image"),
        (lambda: b"%PDF-1.7\n garbage", "the PDF is damaged"),
        (lambda: encrypted(PROJECT_ROOT / "rules" / FOOD / "form.pdf"), "protected by a password"),
        (without_pages, "has no pages"),
    ],
    ids=["not-a-pdf", "damaged", "encrypted", "no-pages"],
)
def test_a_bad_blank_is_refused_and_nothing_changes(
    admin: TestClient, without_blank: Path, make: Callable[[], bytes], said: str
) -> None:
    before = (without_blank / "form.yaml").read_bytes()
    response = upload(admin, "blank.pdf", make(), "application/pdf")
    assert response.status_code == 422
    assert said in response.text
    assert not (without_blank / "form.pdf").exists()
    assert (without_blank / "form.yaml").read_bytes() == before


def test_a_type_that_has_its_blank_takes_no_other(admin: TestClient, rules: Path) -> None:
    before = (rules / "form.pdf").read_bytes()
    response = upload(admin, "other.pdf", a_pdf(1), "application/pdf")
    assert response.status_code == 422
    assert "already has its blank form" in response.text
    assert (rules / "form.pdf").read_bytes() == before
