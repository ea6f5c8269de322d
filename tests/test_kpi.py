"""KPI figures and the case export, on four cases whose answers are worked out by hand
(tests/kpi_cases.py says how), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import string

import pytest
from sqlmodel import Session, col, select

from cases.access import Actor
from cases.db import get_engine
from cases.errors import PermissionDenied
from cases.models import AuditEvent, ExtractedField, Role
from cases.reporting import (
    EXPORT_COLUMNS,
    PERSONAL_COLUMNS,
    KpiFilters,
    as_csv,
    compute_dashboard,
    current_dashboard,
    export_cases,
)
from tests.conftest import Invoke
from tests.kpi_cases import EVENT, FOOD, NOW, seed_kpi_cases

D = dt.date


@pytest.fixture
def session(db: str) -> Session:
    with Session(get_engine(db)) as session:
        seed_kpi_cases(session)
        yield session


def _rows(session: Session, name: str, filters: KpiFilters | None = None) -> list[tuple]:
    return compute_dashboard(session, filters or KpiFilters(), now=NOW).tables[name].rows


def test_turnaround_per_permit_type(session: Session) -> None:
    # food: 3 and 10 days; median the 1st of 2 (nearest rank), 90th percentile the 2nd
    assert _rows(session, "turnaround") == [(FOOD, 2, 3, 10, 6.5, 0, 1, 1, 0, 0)]


def test_cases_at_each_stage_now_with_filters(session: Session) -> None:
    assert _rows(session, "stages") == [
        ("awaiting_verification", 1),
        ("awaiting_decision", 1),
        ("letter_issued", 1),
        ("closed", 1),
    ]
    march = KpiFilters(since=D(2026, 3, 1))
    assert ("awaiting_verification", 1) not in _rows(session, "stages", march)
    events = KpiFilters(permit_type=EVENT)
    assert _rows(session, "stages", events) == [
        ("awaiting_verification", 1),
        ("awaiting_decision", 1),
    ]
    assert _rows(session, "turnaround", events) == []


def test_waiting_against_working_at_each_gate(session: Session) -> None:
    assert _rows(session, "gates") == [
        ("verify_fields", 1, 2.0, 2.0, 1, 1778.0),  # open since 5 January: 74 days and 2 h
        ("decide", 3, 80.7, 48.0, 0, None),  # waited 48, 192 and 2 h; C2 worked 48 h
        ("second_approval", 0, None, None, 1, 264.0),
        ("applicant", 1, 24.0, None, 0, None),
    ]


def test_service_level_breaches(session: Session) -> None:
    assert _rows(session, "service_levels") == [
        (FOOD, 3, 1, 0.3333, 0, 0),
        (EVENT, 1, 0, 0.0, 2, 1),
    ]


def test_ocr_corrections_findings_and_failed_rules(session: Session) -> None:
    assert _rows(session, "ocr_corrections") == [
        ("applicant_name", 2, 1, 1, 0.5, 1.0),
        ("business_name", 2, 1, 0, 0.0, 0.0),
    ]
    assert _rows(session, "findings") == [
        ("name_mismatch", 2, 1, 1),  # one confirmed, one dismissed on the case page
        ("missing_evidence", 1, 0, 0),
    ]
    assert _rows(session, "failed_rules") == [
        (FOOD, "FBL-10", "refer", 1, 2, 0.5),
        (FOOD, "FBL-4", "refer", 1, 2, 0.5),
        (EVENT, "TEP-2", "refuse", 1, 1, 1.0),
    ]


def test_throughput_per_week_counts_what_was_received_and_decided_in_the_period(
    session: Session,
) -> None:
    weeks = _rows(session, "throughput")
    # every Monday from 5 January to 9 March, the quiet weeks with nothing in them
    assert [week for week, _r, _d in weeks] == [
        D(2026, 1, 5) + dt.timedelta(days=7 * n) for n in range(10)
    ]
    assert [row for row in weeks if row[1] or row[2]] == [
        (D(2026, 1, 5), 1, 0),
        (D(2026, 3, 2), 2, 1),
        (D(2026, 3, 9), 1, 1),
    ]
    first_week = KpiFilters(since=D(2026, 3, 1), until=D(2026, 3, 8))
    # C2 was received that week but decided on 12 March, after the period
    assert _rows(session, "throughput", first_week) == [(D(2026, 3, 2), 2, 1)]


def test_csv_has_a_header_of_column_codes_and_a_row_per_figure(session: Session) -> None:
    table = compute_dashboard(session, KpiFilters(), now=NOW).tables["service_levels"]
    lines = list(csv.reader(io.StringIO(as_csv(table.columns, table.rows))))
    assert lines[0] == [
        "permit_type",
        "completed",
        "completed_late",
        "breach_rate",
        "open",
        "open_overdue",
    ]
    assert lines[1] == [FOOD, "3", "1", "0.3333", "0", "0"]
    assert len(lines) == 3


def _exports(session: Session) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == "cases.exported")
    return list(session.exec(statement.order_by(col(AuditEvent.seq))))


def test_export_leaves_personal_data_out_and_is_audited(session: Session) -> None:
    export = export_cases(
        session, actor=Actor("senior", Role.SENIOR_CASEWORKER), since=D(2026, 3, 1)
    )
    session.commit()
    assert export.columns == EXPORT_COLUMNS
    rows = {row["reference"]: row for row in export.rows}
    assert sorted(rows) == ["KPI-2026-0001", "KPI-2026-0002", "KPI-2026-0003"]
    c2 = rows["KPI-2026-0002"]
    assert c2["decided_outcome"] == "refuse"
    assert c2["failed_rules"] == ["FBL-4", "FBL-10"]
    assert c2["fee"] == "1200.00"
    assert c2["decided_at"].startswith("2026-03-12T10:00")
    text = export.text()
    assert "CHAN Tai Man" not in text
    assert "example.com" not in text
    assert "A123456" not in text
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert "FBL-4;FBL-10" in text
    (event,) = _exports(session)
    assert event.actor == "senior"
    assert event.payload["personal_data"] is False
    assert event.payload["cases"] == 3


def test_personal_data_only_for_an_admin_who_asks(session: Session) -> None:
    with pytest.raises(PermissionDenied, match="Only administrators"):
        export_cases(
            session, actor=Actor("senior", Role.SENIOR_CASEWORKER), with_personal_data=True
        )
    assert _exports(session) == []
    export = export_cases(
        session, actor=Actor("root", Role.ADMIN), format="jsonl", with_personal_data=True
    )
    session.commit()
    assert export.columns == EXPORT_COLUMNS + PERSONAL_COLUMNS
    first = json.loads(export.text().splitlines()[0])
    assert first["applicant_name"] == "CHAN Tai Man 1"
    assert first["applicant_hkid"] == "A123456(3)"
    (event,) = _exports(session)
    assert event.actor == "root"
    assert event.payload["personal_data"] is True


def test_permits_kpi_json_is_clean_on_stdout(session: Session, cli: Invoke) -> None:
    result = cli("kpi", "--json", "--type", FOOD)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["filters"]["permit_type"] == FOOD
    assert figures["tables"]["turnaround"]["rows"][0]["p90_days"] == 10


def test_permits_kpi_refuses_a_bad_date(session: Session, cli: Invoke) -> None:
    result = cli("kpi", "--since", "31/12/2026")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_permits_export_cases_says_a_bad_date_in_one_line(session: Session, cli: Invoke) -> None:
    result = cli("export", "cases", "--since", "2026-02-30 [x]")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: --since: '2026-02-30 [x]' is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31"
    ]


def test_permits_export_cases(session: Session, cli: Invoke) -> None:
    result = cli("export", "cases", "--since", "2026-01-01", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert len(result.stdout.splitlines()) == 5
    refused = cli("export", "cases", "--since", "2026-01-01", "--with-personal-data")
    assert refused.exit_code == 2
    assert "--by" in refused.output


def test_the_page_reuses_figures_until_something_happens(session: Session) -> None:
    first = current_dashboard(session, KpiFilters())
    assert current_dashboard(session, KpiFilters()) is first
    assert current_dashboard(session, KpiFilters(permit_type=FOOD)) is not first
    export_cases(session, actor=Actor("senior", Role.SENIOR_CASEWORKER))  # audited: a change
    session.commit()
    assert current_dashboard(session, KpiFilters()) is not first


def test_a_long_reading_corrected_by_a_person_is_stored_and_counted(session: Session) -> None:
    # What OCR read is in no index: a PostgreSQL index entry holds ~2,700 bytes at most.
    field = session.exec(
        select(ExtractedField).where(ExtractedField.name == "business_name")
    ).first()
    assert field is not None
    noise = random.Random(1)  # what OCR made of a big box's scribbles: 6,000 characters
    field.original_value = "".join(noise.choice(string.ascii_letters) for _ in range(6000))
    session.add(field)
    session.commit()
    assert ("business_name", 2, 1, 1, 0.5, 1.0) in _rows(session, "ocr_corrections")


def test_permits_kpi_shows_every_figure_whole_on_an_80_column_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cli.reporting import _print_table

    columns = ("permit_type", "decided", "p50_days", "p90_days", "mean_days")
    columns += ("days_0_2", "days_3_7", "days_8_14", "days_15_30", "days_31_plus")
    _print_table("turnaround", columns, [(FOOD, 33582, 2, 4, 1.9, 24318, 9264, 0, 0, 0)])
    shown = capsys.readouterr().out
    assert "…" not in shown
    for number in ("33,582", "24,318", "9,264", FOOD):
        assert number in shown
