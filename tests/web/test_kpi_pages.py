"""The KPI dashboard and its downloads: seniors and admins only, both languages, every table with
a chart and a CSV; the case export for admins, personal data only when ticked (audited)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import Session, col, select

from cases.db import get_engine, session_scope
from cases.models import AuditEvent, Role
from cases.reporting import EXPORT_COLUMNS, KPI_TABLES
from tests.kpi_cases import FOOD, seed_kpi_cases
from tests.web.test_web import TestClient, add_user, csrf, log_in


@pytest.fixture
def seeded(client: TestClient, db: str) -> TestClient:
    with Session(get_engine(db)) as session:
        seed_kpi_cases(session)
    return client


def _as(client: TestClient, username: str, role: Role) -> TestClient:
    add_user(username, role)
    assert log_in(client, username).status_code == 303
    return client


def test_a_senior_sees_every_figure_as_a_chart_and_a_table(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    page = client.get("/kpi")
    assert page.status_code == 200
    body = page.text
    assert body.count('role="img"') == 2 * len(KPI_TABLES)  # each drawn wide and for a phone
    assert body.count("<caption") == len(KPI_TABLES)
    for name in KPI_TABLES:
        assert f'href="/kpi/{name}.csv"' in body
    assert '<a href="/kpi">KPIs</a>' in body
    assert "Export cases" not in body  # the export is for admins
    filtered = client.get("/kpi", params={"permit_type": FOOD, "since": "2026-03-01"})
    assert 'href="/kpi/stages.csv?permit_type=food-business-licence&amp;since=2026-03-01"' in (
        filtered.text
    )


def test_the_dashboard_in_chinese(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    client.cookies.set("lang", "zh-Hant")
    body = client.get("/kpi").text
    assert "關鍵績效指標" in body
    assert "每週處理量" in body


def test_a_bad_date_is_said_not_a_traceback(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    page = client.get("/kpi", params={"since": "31/12/2026"})
    assert page.status_code == 200
    assert "Submitted from: “31/12/2026” is not a date; write it as YYYY-MM-DD" in page.text
    assert "The figures below are for all dates." in page.text
    assert "Traceback" not in page.text


def test_a_bad_date_in_chinese_on_the_page_its_downloads_and_the_export(
    seeded: TestClient,
) -> None:
    client = _as(seeded, "ada", Role.ADMIN)
    client.cookies.set("lang", "zh-Hant")
    said = "「2026-02-30」不是日期；請以 YYYY-MM-DD 格式填寫"
    page = client.get("/kpi", params={"until": "2026-02-30"})
    assert page.status_code == 200
    assert f"至：{said}" in page.text
    assert "以下數字涵蓋所有日期。" in page.text
    download = client.get("/kpi/turnaround.csv", params={"until": "2026-02-30"})
    assert download.status_code == 422
    assert said in download.text
    assert "is not a date" not in download.text
    status, text = _export(client, since="2026-02-30")
    assert (status, f"提交日期由：{said}" in text) == (422, True)
    assert _export_events() == []


def test_a_bad_date_in_english_on_a_download(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    download = client.get("/kpi/gates.csv", params={"since": "yesterday"})
    assert download.status_code == 422
    assert "Submitted from: “yesterday” is not a date; write it as YYYY-MM-DD" in download.text


def test_an_unknown_permit_type_is_said_and_all_types_shown(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    everything = client.get("/kpi").text
    page = client.get("/kpi", params={"permit_type": "fishing-licence"})
    assert page.status_code == 200
    assert "Permit: “fishing-licence” is not a permit type; choose one from the list." in page.text
    assert "The figures below are for all permit types." in page.text
    # the same figures as with no filter at all
    assert page.text.count("<td") == everything.count("<td")
    assert "not a permit type" not in client.get("/kpi", params={"permit_type": ""}).text
    download = client.get("/kpi/stages.csv", params={"permit_type": "fishing-licence"})
    assert download.status_code == 422
    assert "“fishing-licence” is not a permit type" in download.text


def test_an_unknown_permit_type_in_chinese(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    client.cookies.set("lang", "zh-Hant")
    said = "牌照：「fishing-licence」不是牌照類別；請從清單中選擇。"
    page = client.get("/kpi", params={"permit_type": "fishing-licence"})
    assert said in page.text
    assert "以下數字涵蓋所有牌照類別。" in page.text
    download = client.get("/kpi/gates.csv", params={"permit_type": "fishing-licence"})
    assert (download.status_code, said in download.text) == (422, True)


def test_caseworkers_are_refused(seeded: TestClient) -> None:
    client = _as(seeded, "casey", Role.CASEWORKER)
    assert client.get("/kpi").status_code == 403
    assert client.get("/kpi/stages.csv").status_code == 403
    assert 'href="/kpi"' not in client.get("/inbox").text


def test_each_table_downloads_as_csv(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    response = client.get("/kpi/service_levels.csv", params={"permit_type": FOOD})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["permit_type", "completed", "completed_late"]
    assert rows[1][:3] == [FOOD, "3", "1"]
    assert len(rows) == 2
    assert client.get("/kpi/nothing.csv").status_code == 404


def _export(client: TestClient, **form: str) -> tuple[int, str]:
    data = {"since": "2026-01-01", "format": "csv", "csrf_token": csrf(client), **form}
    response = client.post("/kpi/export", data=data)
    return response.status_code, response.text


def _export_events() -> list[AuditEvent]:
    with session_scope() as session:
        exported = select(AuditEvent).where(AuditEvent.action == "cases.exported")
        return list(session.exec(exported.order_by(col(AuditEvent.seq))))


def test_admin_export_without_and_with_personal_data(seeded: TestClient) -> None:
    client = _as(seeded, "ada", Role.ADMIN)
    assert "Export cases" in client.get("/kpi").text
    status, text = _export(client)
    assert status == 200
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert "CHAN Tai Man" not in text
    status, text = _export(client, format="jsonl", personal_data="yes")
    assert status == 200
    first = json.loads(text.splitlines()[0])
    assert first["applicant_name"].startswith("CHAN Tai Man")
    events = _export_events()
    assert [e.payload["personal_data"] for e in events] == [False, True]
    assert {e.actor for e in events} == {"ada"}


def test_a_senior_may_not_export(seeded: TestClient) -> None:
    client = _as(seeded, "sam", Role.SENIOR_CASEWORKER)
    status, text = _export(client, personal_data="yes")
    assert status == 403
    assert "CHAN Tai Man" not in text
    assert _export_events() == []
