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
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The value earlier versions signed sessions with unless told otherwise: published, so refused.
PUBLISHED_SECRET = "change-me-development-only"
SECRET_FILE = "session-secret"


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
    prefect_api_url: str | None = Field(
        None,
        description="Use an existing Prefect server instead of starting the embedded one.",
    )
    ocr_worker: bool = Field(
        True,
        description="Run OCR in the long-lived task worker (model kept loaded) instead of inside "
        "each flow run.",
    )
    resume_interval_s: int = Field(
        120,
        description="How often the resume flow looks for cases whose trigger was lost.",
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
    max_upload_bytes: int = Field(20 * 1024 * 1024, description="Largest accepted document.")
    max_image_pixels: int = Field(
        60_000_000, description="Largest accepted image, in pixels (decompression-bomb guard)."
    )
    max_document_pages: int = Field(
        20, description="Most pages accepted in one PDF or multi-page TIFF document."
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

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in _items(self.trusted_proxies)]

    def session_secret(self) -> str:
        """The configured secret, else this data folder's own, generated on first use."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _data_folder_secret(self.resolved_data_dir / SECRET_FILE)

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


def _data_folder_secret(path: Path) -> str:
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
            f"the session secret {path} can be read by other users (mode {mode:o}); "
            f"run: chmod 600 {path}"
        )
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(
            f"the session secret {path} is empty or too short; delete it and start again "
            "(a new one is generated; everyone logs in again)"
        )
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
