"""The topology `permits up --workers 2` starts, as the README lays it out across machines:
Prefect's server on PostgreSQL, the case database on PostgreSQL, two case-flow runners and two OCR
workers, and documents on a shared store (a local S3-compatible endpoint). Cases submitted together
all reach their first gate, none lost, and one goes on through its decision to a letter kept on the
store.

Databases of their own (``<test database>_distributed`` and ``…_prefect``), so the other
PostgreSQL tests keep theirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from cases.db import session_scope
from cases.gates import decide
from cases.lifecycle import CaseStatus
from cases.models import Document, ExtractedField, Letter
from cases.settings import get_settings
from cli.demo import wait_until_settled
from cli.services import Services
from flows.deployments import start_case_flow
from tests.conftest import POSTGRES_URL
from tests.factories import CASEWORKER, sample_application, submit_sample
from tests.services import embedded_services, s3_objects, s3_settings
from tests.test_case_flow import confirm_fields_if_flagged, decision_task_id, run_flow
from tests.test_crash_recovery import ELIGIBLE, status

pytestmark = pytest.mark.slow

FIRST_GATES = {CaseStatus.AWAITING_VERIFICATION, CaseStatus.AWAITING_DECISION}


def fresh_database(suffix: str, driver: str) -> str:
    """A new, empty PostgreSQL database beside the tests' own; its URL with ``driver``."""
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{suffix}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername=driver, database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cluster(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str
) -> Iterator[Services]:
    environment = {
        "PERMITS_DATABASE_URL": fresh_database("distributed", "postgresql+psycopg"),
        "PERMITS_PREFECT_DATABASE_URL": fresh_database("prefect", "postgresql+asyncpg"),
        "PERMITS_CASE_RUNNERS": "2",
        "PERMITS_OCR_WORKERS": "2",
        **s3_settings(s3_endpoint, "distributed"),
    }
    with embedded_services(tmp_path_factory.mktemp("distributed"), **environment) as running:
        yield running


def test_two_runners_and_two_ocr_workers_take_every_case_to_its_gate(
    cluster: Services, s3_endpoint: str
) -> None:
    assert {"deployments-1", "deployments-2", "ocr-worker-1", "ocr-worker-2"} <= set(
        cluster.processes
    )
    cases = [submit_sample(sample_application(60 + n, overrides=ELIGIBLE)) for n in range(2)]
    ids = [case.id for case in cases if case.id is not None]
    for case_id in ids:
        start_case_flow(case_id, reason="test")

    wait_until_settled(ids, timeout=600)

    assert {case_id: status(case_id) in FIRST_GATES for case_id in ids} == dict.fromkeys(ids, True)
    with session_scope() as session:
        for case_id in ids:
            names = session.exec(
                select(ExtractedField.name).where(ExtractedField.case_id == case_id)
            ).all()
            assert names
            assert len(names) == len(set(names)), "a field was stored twice"

    # One goes on: decided, its letter printed by a runner and kept on the shared store.
    confirm_fields_if_flagged(ids[0])
    decide(decision_task_id(ids[0]), "approve", "", actor=CASEWORKER)
    run_flow(ids[0])
    assert status(ids[0]) == CaseStatus.LETTER_ISSUED
    with session_scope() as session:
        [letter] = session.exec(select(Letter).where(Letter.case_id == ids[0])).all()
    stored = s3_objects(s3_endpoint, "distributed")
    assert {letter.pdf_sha256, letter.html_sha256} <= set(stored)
    with session_scope() as session:
        uploads = session.exec(select(Document.sha256).where(col(Document.case_id).in_(ids))).all()
    assert set(uploads) <= set(stored)
    assert not get_settings().documents_dir.exists()  # nothing went to the data folder
