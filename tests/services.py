"""The services `permits up` runs (a local Prefect server on a free port, the case-flow runner,
the OCR worker, and their supervisor) on a data folder of their own, for the tests that go
through Prefect."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from cases.db import upgrade_database
from cases.settings import get_settings
from cli.services import Services, start_services

__all__ = [
    "S3_BUCKET",
    "S3_CREDENTIALS",
    "embedded_services",
    "free_port",
    "local_s3",
    "s3_objects",
    "s3_settings",
]

S3_BUCKET = "permits-documents"
S3_CREDENTIALS = {"key": "testing", "secret": "testing"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def embedded_services(folder: Path, **environment: str) -> Iterator[Services]:
    """Start them with ``PERMITS_*`` ``environment`` on top; stop them and restore it after."""
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with mock.patch.dict(os.environ):
        os.environ.pop("PERMITS_DATABASE_URL", None)  # this folder's own SQLite, unless given
        os.environ.update(
            PERMITS_DATA_DIR=str(folder), PERMITS_PREFECT_PORT=str(free_port()), **environment
        )
        get_settings.cache_clear()
        upgrade_database()
        try:
            with (
                temporary_settings({PREFECT_API_URL: get_settings().effective_prefect_api_url}),
                start_services(web=False) as running,
            ):
                yield running
                EventsWorker.drain_all()  # events sent while their server still answers
        finally:
            get_settings.cache_clear()


@contextmanager
def local_s3() -> Iterator[str]:
    """A local S3-compatible endpoint (moto's server: a stand-in for S3 or MinIO, which cannot
    run here, behind the same s3fs interface) with the bucket made; its URL."""
    import s3fs
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    fs = s3fs.S3FileSystem(endpoint_url=url, **S3_CREDENTIALS, skip_instance_cache=True)
    fs.mkdir(S3_BUCKET)
    try:
        yield url
    finally:
        server.stop()


def s3_settings(endpoint: str, prefix: str) -> dict[str, str]:
    """The environment that puts the document store on the endpoint's bucket, under ``prefix``."""
    options = {"endpoint_url": endpoint, **S3_CREDENTIALS}
    return {
        "PERMITS_DOCUMENT_STORE": f"s3://{S3_BUCKET}/{prefix}",
        "PERMITS_DOCUMENT_STORE_OPTIONS": json.dumps(options),
    }


def s3_objects(endpoint: str, prefix: str) -> list[str]:
    """The names of the objects under the prefix, as another machine sees them."""
    import s3fs

    fs = s3fs.S3FileSystem(endpoint_url=endpoint, **S3_CREDENTIALS, skip_instance_cache=True)
    return [key.rsplit("/", 1)[1] for key in fs.find(f"{S3_BUCKET}/{prefix}")]
