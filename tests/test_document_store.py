"""The document store elsewhere than the data folder, through fsspec: a folder named by a
``file://`` URL, and an S3-compatible endpoint (moto's server behind s3fs, standing in for S3 or
MinIO, which cannot run here, behind the same interface). Content-addressed either way, nothing
half-written left, rows still holding their relative paths, retention removing a file only with
the last case that holds it, and a store that fails saying what to do in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import select

from cases.db import session_scope
from cases.documents import (
    document_exists,
    read_document,
    read_stored,
    remove_document,
    store_bytes,
    stored_location,
    stored_path,
)
from cases.documents.storage import document_store
from cases.errors import StorageUnavailable
from cases.letters import issue_letters
from cases.models import Document, Letter
from cases.retention import run_retention
from cases.settings import get_settings
from tests.conftest import UseStore
from tests.factories import closed_case, decided_case
from tests.services import S3_BUCKET, S3_CREDENTIALS, s3_objects, s3_settings

# The store's contracts do not depend on the database's backend: SQLite is enough here.
on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BUCKET, CREDENTIALS = S3_BUCKET, S3_CREDENTIALS


def _local_documents() -> list[Path]:
    folder = get_settings().documents_dir
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@on_sqlite
@pytest.mark.usefixtures("db")
def test_letters_in_a_file_url_folder_leave_the_data_folder_alone(
    tmp_path: Path, use_store: UseStore
) -> None:
    shared = tmp_path / "shared-documents"
    before = _local_documents()
    use_store({"PERMITS_DOCUMENT_STORE": shared.as_uri()})

    [letter] = issue_letters(decided_case("approve"))

    assert letter.pdf_path == stored_path(letter.pdf_sha256)  # the row's relative reference
    pdf = read_stored(letter.pdf_path)
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == letter.pdf_sha256
    stored = sorted(path.name for path in shared.rglob("*") if path.is_file())
    assert stored == sorted([letter.pdf_sha256, letter.html_sha256])  # nothing half-written left
    assert _local_documents() == before
    assert (
        stored_location(letter.pdf_path)
        == (shared / letter.pdf_sha256[:2] / letter.pdf_sha256).as_uri()
    )


def test_an_s3_store_writes_each_content_once_and_removes_it(
    s3_endpoint: str, use_store: UseStore
) -> None:
    use_store(s3_settings(s3_endpoint, "contract"))

    digest = store_bytes(b"a scanned fire certificate")
    assert store_bytes(b"a scanned fire certificate") == digest

    assert s3_objects(s3_endpoint, "contract") == [digest]
    assert read_document(digest) == b"a scanned fire certificate"
    assert read_stored(stored_path(digest)) == b"a scanned fire certificate"
    remove_document(digest)
    remove_document(digest)  # already gone is fine
    assert not document_exists(digest)
    with pytest.raises(FileNotFoundError):
        read_document(digest)


def test_an_object_store_takes_an_upload_in_one_request(
    use_store: UseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object store's upload is atomic and a name only ever holds its own bytes: no existence
    check (a second round trip to the bucket per file) before the write."""
    use_store({"PERMITS_DOCUMENT_STORE": "memory://one-request/docs"})
    fs = document_store().fs
    asked: list[str] = []
    monkeypatch.setattr(fs, "exists", lambda path, **_: asked.append(path) or False)
    monkeypatch.setattr(fs, "info", lambda path, **_: asked.append(path) or {})

    digest = store_bytes(b"a floor plan sent twice")
    assert store_bytes(b"a floor plan sent twice") == digest

    assert asked == []
    assert read_document(digest) == b"a floor plan sent twice"
    remove_document(digest)


@on_sqlite
@pytest.mark.usefixtures("db")
def test_retention_removes_an_s3_object_only_with_the_last_case_holding_it(
    s3_endpoint: str, use_store: UseStore
) -> None:
    use_store(s3_settings(s3_endpoint, "retention"))
    first = closed_case(b"first applicant's own scan on S3", years_ago=8)
    closed_case(b"second applicant's own scan on S3", years_ago=1)
    with session_scope() as session:
        digests = session.exec(select(Document.sha256).where(Document.case_id == first)).all()
        [letter] = session.exec(select(Letter).where(Letter.case_id == first)).all()
    own, shared = sorted(digests, key=lambda d: read_document(d).startswith(b"%PDF-1.4 the same"))

    run_retention()

    left = s3_objects(s3_endpoint, "retention")
    assert own not in left
    assert letter.pdf_sha256 not in left
    assert shared in left  # the second case still holds the same scan


# ``ENDPOINT`` stands for the local S3 endpoint's URL.
ENDPOINT = "endpoint"


@pytest.mark.parametrize(
    ("url", "options", "said"),
    [
        pytest.param(
            f"s3://{BUCKET}/x",
            {
                "endpoint_url": "http://127.0.0.1:9",
                **CREDENTIALS,
                "config_kwargs": {"retries": {"max_attempts": 1}},
            },
            "cannot be reached",
            id="unreachable",
        ),
        pytest.param(
            "s3://no-such-bucket/x",
            {"endpoint_url": ENDPOINT, **CREDENTIALS},
            "its bucket does not exist",
            id="no-bucket",
        ),
        pytest.param(
            f"s3://{BUCKET}/x",
            {"endpoint_url": ENDPOINT},
            "has no credentials for this machine",
            id="no-credentials",
        ),
        pytest.param(
            "nosuch://bucket/x",
            {},
            "cannot be used (Protocol not known: nosuch); install its backend",
            id="unknown-backend",
        ),
    ],
)
def test_a_remote_store_that_fails_says_what_to_do_in_one_line(
    s3_endpoint: str,
    use_store: UseStore,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    options: dict[str, object],
    said: str,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance to ask for a role
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    if options.get("endpoint_url") == ENDPOINT:
        options = {**options, "endpoint_url": s3_endpoint}
    use_store(
        {"PERMITS_DOCUMENT_STORE": url, "PERMITS_DOCUMENT_STORE_OPTIONS": json.dumps(options)}
    )

    with pytest.raises(StorageUnavailable) as refused:
        store_bytes(b"an upload")

    message = str(refused.value)
    assert said in message
    assert message.endswith("then try again. Nothing was saved.")
    assert "\n" not in message


@on_sqlite
@pytest.mark.usefixtures("db")
def test_health_says_whether_the_store_can_take_files(
    s3_endpoint: str, use_store: UseStore, tmp_path: Path
) -> None:
    from web.health import check_documents

    use_store(s3_settings(s3_endpoint, "health"))
    assert check_documents() is None
    missing = {"endpoint_url": s3_endpoint, **CREDENTIALS}
    use_store(
        {
            "PERMITS_DOCUMENT_STORE": "s3://no-such-bucket/docs",
            "PERMITS_DOCUMENT_STORE_OPTIONS": json.dumps(missing),
        }
    )
    said = check_documents()
    assert said is not None
    assert "s3://no-such-bucket/docs cannot be reached" in said
    assert "check PERMITS_DOCUMENT_STORE" in said
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    use_store({"PERMITS_DOCUMENT_STORE": (blocked / "documents").as_uri()})
    assert check_documents() is not None  # nothing can be made inside a file
