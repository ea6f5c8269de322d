"""Settings read from ``PERMITS_*`` environment variables (and an optional ``.env``).

Everything a deployment may want to point elsewhere lives here: the data folder (embedded database,
documents, letters, the local Prefect server's state), the database URL, the permit catalogue and
the letter templates. One cached :func:`get_settings` instead of objects built at import time, so
tests and CLI commands can switch data folders by changing the environment and clearing the cache.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The value earlier versions signed sessions with unless told otherwise: published, so refused.
PUBLISHED_SECRET = "change-me-development-only"
SECRET_FILE = "session-secret"
AUDIT_KEY_FILE = "audit-key"
AUDIT_ANCHOR_FILE = "audit-anchors.jsonl"
# The async drivers Prefect's server runs on.
PREFECT_DATABASE_DRIVERS = ("postgresql+asyncpg://", "sqlite+aiosqlite://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERMITS_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development",
        description="'production' refuses a default secret key and does not seed demo users.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Folder for the embedded database, documents, letters and Prefect's state.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; defaults to a SQLite file in the data folder. "
        "For PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    )
    catalogue_dir: Path = Field(
        PROJECT_ROOT / "rules", description="Folder holding one sub-folder per permit type."
    )
    letter_templates_dir: Path = Field(
        PROJECT_ROOT / "templates" / "letters",
        description="Folder holding <permit-type>/<outcome>.<lang>.html.j2 letter templates.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs session cookies. Unset: a random secret generated on first start and "
        f"kept in the data folder's '{SECRET_FILE}' file (mode 0600). Set it when several "
        "machines serve the web app without sharing the data folder.",
    )
    audit_key: SecretStr | None = Field(
        None,
        description="Keys the audit trail's hash chain (HMAC-SHA256), so someone who can write to "
        "the database but does not hold the key cannot rewrite it unseen. Unset: a random key "
        f"generated on first use and kept in the data folder's '{AUDIT_KEY_FILE}' file (mode "
        "0600); back it up apart from the database. Set it in production, from a secret store.",
    )
    audit_anchor_file: Path | None = Field(
        None,
        description="Append-only file of signed audit chain heads (JSON lines), written at every "
        f"retention purge and by `permits audit anchor`; defaults to '{AUDIT_ANCHOR_FILE}' in "
        "the data folder. Point it at storage the database's users cannot rewrite.",
    )
    audit_anchor_interval_s: int = Field(
        3600, description="How often the audit-anchor flow writes the chain head to the file."
    )
    retention_interval_s: int = Field(
        86400,
        description="How often the retention flow purges the cases whose retention period ended.",
    )
    https: bool = Field(
        False,
        description="The web app is reached over HTTPS (directly or behind a proxy): the session "
        "cookie is sent only over HTTPS and browsers are told to use HTTPS only (HSTS).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For header names the client (e.g. '10.0.0.5,192.168.1.0/24'); from any "
        "other peer the header is ignored.",
    )
    max_request_bytes: int = Field(
        100 * 2**20,
        description="Largest request body accepted (all files of one upload together); a larger "
        "one is refused with 413 before it is read.",
    )
    web_host: str = Field("127.0.0.1", description="Address the web app listens on.")
    web_port: int = Field(8000, description="Port of the web app.")
    prefect_port: int = Field(4200, description="Port of the embedded local Prefect server.")
    prefect_host: str = Field(
        "127.0.0.1",
        description="Address the embedded Prefect server listens on; 0.0.0.0 when workers on "
        "other machines use it.",
    )
    prefect_api_url: str | None = Field(
        None,
        description="Use an existing Prefect server instead of starting the embedded one.",
    )
    ocr_worker: bool = Field(
        True,
        description="Run OCR in the long-lived task worker (model kept loaded) instead of inside "
        "each flow run.",
    )
    ocr_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="OCR task worker processes `permits up` starts on this machine (each holds "
        "the model, ~1 GB).",
    )
    ocr_threads: int | None = Field(
        None,
        ge=1,
        le=256,
        description="torch threads in each OCR worker; unset: the cores this process may use "
        "divided among the OCR workers (at least 1). More threads than free cores make torch's "
        "threads spin against each other.",
    )
    case_runners: int = Field(
        1,
        ge=1,
        le=64,
        description="Case-flow runner processes `permits up` starts (`--workers`); each runs "
        "flow runs inside itself, no new process per run.",
    )
    case_runner_slots: int = Field(
        16,
        ge=1,
        le=64,
        description="Flow runs one case-flow runner executes at once (threads; most wait on an "
        "OCR worker, so a burst queues there, not in front of the runner).",
    )
    prefect_database_url: str | None = Field(
        None,
        description="Database of the embedded Prefect server; default a SQLite file in the data "
        "folder. For PostgreSQL: postgresql+asyncpg://user@host:5432/prefect",
    )
    resume_interval_s: int = Field(
        120,
        description="How often the resume flow looks for cases whose trigger was lost.",
    )
    max_failed_runs: int = Field(
        3,
        ge=1,
        description="Failed runs of a case (without progress) after which the resume flow stops "
        "retrying it and it waits in the operator queue for an admin's retry.",
    )
    stuck_run_timeout_s: int = Field(
        1800,
        description="A case-flow run still RUNNING or PENDING after this long is marked crashed "
        "by the resume flow (a run whose process is gone is marked at once).",
    )
    service_restart_limit: int = Field(
        3,
        ge=1,
        description="`permits up` restarts a service that dies; after this many quick deaths in "
        "a row it stops everything and names the log.",
    )
    service_quick_death_s: float = Field(
        60.0, description="A service that dies sooner than this after its start died quickly."
    )
    web_db_busy_timeout_s: float = Field(
        5.0,
        description="How long a web request waits for a busy (locked) SQLite database before it "
        "answers 503 'busy, try again' instead of waiting on.",
    )
    public_url: str | None = Field(
        None,
        description="Address applicants reach the web app at, for links in messages (e.g. "
        "https://permits.example.gov.hk); defaults to the web app's own address.",
    )
    message_templates_dir: Path = Field(
        PROJECT_ROOT / "templates" / "messages",
        description="Folder holding <kind>.<lang>.txt.j2 templates of messages to applicants.",
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server that delivers messages to applicants; without one, each message "
        "is written as an .eml file under <data folder>/outbox/ instead.",
    )
    smtp_port: int = Field(587, description="Port of the SMTP server (587 STARTTLS, 465 SSL).")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        description="'starttls' upgrades a plain connection, 'ssl' connects over TLS (port 465), "
        "'none' sends in clear (a relay on the same host only).",
    )
    smtp_ca_file: Path | None = Field(
        None,
        description="PEM file of the certificate authorities trusted for the SMTP server's "
        "certificate (an office's own CA); without it, the system's trusted authorities. The "
        "certificate and its host name are always checked for 'starttls' and 'ssl'.",
    )
    smtp_username: str | None = Field(None, description="SMTP login; none sends without one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password for the login.")
    smtp_timeout_s: float = Field(30, description="Seconds to wait for the SMTP server.")
    mail_from: str = Field(
        "Licensing Office <permits@localhost>",
        description="The From address of messages to applicants.",
    )
    message_max_attempts: int = Field(
        6, description="Delivery attempts before a message that keeps failing is marked failed."
    )
    message_retry_base_s: int = Field(
        60,
        description="Wait before the first retry; it doubles with each failed attempt.",
    )
    messages_interval_s: int = Field(
        60, description="How often the send-messages flow delivers what is waiting (seconds)."
    )
    deadline_interval_s: int = Field(
        3600,
        description="How often the deadline flow looks for requests for information past their "
        "date (reminders, then lapse or refer).",
    )
    sla_interval_s: int = Field(
        3600,
        description="How often the service-levels flow reminds before due and escalates overdue "
        "tasks.",
    )
    sla_reminder_days: int = Field(
        1, ge=0, description="Working days before a task is due that its reminder is sent."
    )
    max_upload_bytes: int = Field(20 * 1024 * 1024, description="Largest accepted document.")
    max_image_pixels: int = Field(
        60_000_000, description="Largest accepted image, in pixels (decompression-bomb guard)."
    )
    max_document_pages: int = Field(
        20, description="Most pages accepted in one PDF or multi-page TIFF document."
    )
    document_store: str | None = Field(
        None,
        description="Where uploaded documents and issued letters are kept: an fsspec URL such as "
        "file:///mnt/shared/permits-documents or s3://bucket/prefix, shared by every machine. "
        "Unset: the data folder's 'documents' folder.",
    )
    document_store_options: dict[str, Any] = Field(
        default_factory=dict,
        description="fsspec storage options for PERMITS_DOCUMENT_STORE, as JSON, e.g. "
        '{"endpoint_url": "https://minio.internal:9000"} for an S3-compatible service. '
        "Credentials are better left to the backend's own environment (AWS_ACCESS_KEY_ID…).",
    )
    dropbox_dir: Path | None = Field(
        None,
        description="Scanner drop box: one <permit-type>/incoming|processed|rejected folder set "
        "per permit type; defaults to 'dropbox' in the data folder.",
    )
    dropbox_settle_s: float = Field(
        5.0,
        description="A dropped file is read once it has not changed for this long (a scanner or "
        "a copy still writing it is left alone).",
    )
    dropbox_folder_settle_s: float = Field(
        120.0,
        description="A dropped sub-folder without a READY marker is complete once nothing in it "
        "has changed for this long.",
    )
    dropbox_poll_s: float = Field(
        2.0,
        description="How often the drop box watcher looks again for files that are settling.",
    )
    pdf_render_dpi: int = Field(
        200, description="Resolution at which a scanned PDF page (no text layer) is rasterised."
    )
    embedding_threads: int = Field(
        1,
        ge=1,
        description="BLAS and OpenMP threads (torch's included) while a case summary is "
        "embedded or the precedents searched; only during those calls, so OCR in the same "
        "process keeps its own. One sentence at a time gains nothing from more, and on a busy "
        "machine more threads spin against each other (measured here: 25 ms a summary on one "
        "thread, 0.4-1 s on two with the machine loaded).",
    )
    llm_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible endpoint for the optional language-model "
        "reviewer (e.g. http://127.0.0.1:11434/v1 for a local Ollama); unset: the reviewer is off.",
    )
    llm_model: str = Field("", description="Model name the endpoint is asked for.")
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer key for the endpoint, if it wants one."
    )
    llm_timeout_s: float = Field(
        30, description="Seconds to wait for the language model's answer before giving up."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for item in _items(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"'{item}' is not an IP address or network (write e.g. 10.0.0.5 or "
                    "10.0.0.0/8, separated by commas)"
                ) from None
        return value

    @field_validator("prefect_database_url")
    @classmethod
    def _async_prefect_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(PREFECT_DATABASE_DRIVERS):
            raise ValueError(
                f"'{value.split('://')[0]}://' is not a driver Prefect's server can use; write "
                "postgresql+asyncpg://user@host:5432/prefect (or sqlite+aiosqlite:///path)"
            )
        return value

    @property
    def effective_ocr_threads(self) -> int:
        """torch threads per OCR worker: the setting, else this process's cores shared out."""
        if self.ocr_threads is not None:
            return self.ocr_threads
        return max(1, len(os.sched_getaffinity(0)) // self.ocr_workers)

    @property
    def prefect_server_database_url(self) -> str:
        default = f"sqlite+aiosqlite:///{self.prefect_home / 'prefect.db'}"
        return self.prefect_database_url or default

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in _items(self.trusted_proxies)]

    def session_secret(self) -> str:
        """The configured secret, else this data folder's own, generated on first use."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _data_folder_secret(self.resolved_data_dir / SECRET_FILE)

    def audit_secret(self) -> bytes:
        """The configured audit key, else this data folder's own, generated on first use."""
        if self.audit_key is not None:
            return self.audit_key.get_secret_value().encode()
        path = self.resolved_data_dir / AUDIT_KEY_FILE
        return _data_folder_secret(path, what="audit key", lost=_AUDIT_KEY_LOST).encode()

    @property
    def resolved_audit_anchor_file(self) -> Path:
        path = self.audit_anchor_file or self.resolved_data_dir / AUDIT_ANCHOR_FILE
        return path.expanduser().resolve()

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'permits.db'}"

    @property
    def documents_dir(self) -> Path:
        return self.resolved_data_dir / "documents"

    @property
    def resolved_dropbox_dir(self) -> Path:
        folder = self.dropbox_dir or self.resolved_data_dir / "dropbox"
        return folder.expanduser().resolve()

    @property
    def outbox_dir(self) -> Path:
        return self.resolved_data_dir / "outbox"

    @property
    def public_base_url(self) -> str:
        return (self.public_url or self.web_url).rstrip("/")

    @property
    def prefect_home(self) -> Path:
        return self.resolved_data_dir / "prefect"

    @property
    def effective_prefect_api_url(self) -> str:
        return self.prefect_api_url or f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def web_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    def check_production_ready(self) -> None:
        """Refuse to serve real cases with a published or guessable secret."""
        if self.secret_key is None:
            return  # the data folder's own random secret
        value = self.secret_key.get_secret_value()
        if self.environment == "production" and (value == PUBLISHED_SECRET or len(value) < 32):
            raise RuntimeError(
                "PERMITS_SECRET_KEY is the published development value or shorter than 32 "
                "characters; set a long random value (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))') or unset it to use the data folder's own."
            )


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


_SESSION_SECRET_LOST = "delete it and start again (a new one is generated; everyone logs in again)"
_AUDIT_KEY_LOST = (
    "restore it from your backup (without it the audit trail cannot be verified), or set "
    "PERMITS_AUDIT_KEY"
)


def _data_folder_secret(
    path: Path, *, what: str = "session secret", lost: str = _SESSION_SECRET_LOST
) -> str:
    """Read the secret at ``path``, creating it (random, mode 0600) if there is none yet.

    Written to a private temporary file and linked into place, so two processes starting at once
    both end up with the one secret that won, never a half-written file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its secret
        finally:
            temporary.unlink()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise RuntimeError(
            f"the {what} {path} can be read by other users (mode {mode:o}); run: chmod 600 {path}"
        )
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(f"the {what} {path} is empty or too short; {lost}")
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
