"""Delivery over TLS: STARTTLS (port 587's way) and implicit TLS (port 465's), against a local
aiosmtpd server whose certificate is issued in the test by a private CA. The CA is trusted through
the ``smtp_ca_file`` setting; without it the server's certificate is refused and nothing is sent."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cases.models import DeliveryStatus
from cases.notifications import send_due_messages
from cases.settings import get_settings
from tests.test_sender import Mailbox, _free_port, _message, _row

pytestmark = pytest.mark.usefixtures("db")


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the private CA's certificate, what the office would name in smtp_ca_file
    server: ssl.SSLContext  # the SMTP server's side, holding a certificate the CA issued


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Office CA"))
        .issuer_name(_name("Test Office CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(_pem(ca))
    (folder / "server.pem").write_bytes(_pem(server))
    (folder / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Certificates(ca=folder / "ca.pem", server=context)


Serve = Callable[[str], Mailbox]


@pytest.fixture
def serve(certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Start a TLS SMTP server in ``mode`` (starttls: TLS required before MAIL; ssl: TLS from the
    first byte) and point the settings at it, trusting the test CA."""
    controllers: list[Controller] = []

    def start(mode: str) -> Mailbox:
        box = Mailbox()
        port = _free_port()
        if mode == "ssl":
            controller = Controller(
                box, hostname="127.0.0.1", port=port, ssl_context=certificates.server
            )
        else:
            controller = Controller(
                box,
                hostname="127.0.0.1",
                port=port,
                tls_context=certificates.server,
                require_starttls=True,
            )
        controller.start()
        controllers.append(controller)
        monkeypatch.setenv("PERMITS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PERMITS_SMTP_PORT", str(port))
        monkeypatch.setenv("PERMITS_SMTP_SECURITY", mode)
        monkeypatch.setenv("PERMITS_SMTP_CA_FILE", str(certificates.ca))
        monkeypatch.setenv("PERMITS_MAIL_FROM", "Licensing Office <permits@office.example>")
        get_settings.cache_clear()
        return box

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()
        get_settings.cache_clear()


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_message_is_delivered_over_tls_to_a_server_the_ca_file_vouches_for(
    serve: Serve, mode: str
) -> None:
    mailbox = serve(mode)
    message_id = _message()

    assert send_due_messages().sent == [message_id]

    (email,) = mailbox.received
    assert email["To"] == "chan@example.hk"
    assert _row(message_id).status is DeliveryStatus.SENT


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_certificate_no_trusted_authority_issued_is_refused_and_nothing_is_sent(
    serve: Serve, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = serve(mode)
    monkeypatch.delenv("PERMITS_SMTP_CA_FILE")  # the system's authorities know nothing of it
    get_settings.cache_clear()
    message_id = _message()

    assert send_due_messages().retrying == [message_id]

    assert mailbox.received == []
    row = _row(message_id)
    assert row.status is DeliveryStatus.RETRYING
    assert row.last_error is not None
    assert "certificate verify failed" in row.last_error


def test_a_ca_file_that_cannot_be_read_is_named_in_the_delivery_status(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serve("starttls")
    missing = tmp_path / "office-ca.pem"
    monkeypatch.setenv("PERMITS_SMTP_CA_FILE", str(missing))
    get_settings.cache_clear()
    message_id = _message()

    assert send_due_messages().retrying == [message_id]

    last_error = _row(message_id).last_error
    assert last_error is not None
    assert f"the SMTP CA file {missing} (PERMITS_SMTP_CA_FILE) cannot be read" in last_error
