"""Synthetic supporting documents: fire services certificates (FS 251) and tenancy agreements.

Supporting documents come from many issuers, so unlike the application form they follow no layout
the office controls. Each is drawn in one of several layouts seen at a licensing counter:
label-colon-value lines under a letterhead, a two-column ruled table, labels with the value on the
line below; with English or bilingual (Chinese and English) labels, paragraphs of legal text that
use the same words as the labels, signature lines that do too, and then scanned like the forms.
Where a value also appears on the application (the premises address, the applicant as tenant, the
certificate number) it is taken from :func:`tools.samples.applications.random_truth` for the
same seed, so a case built from one seed is consistent across its documents. Everything is the
same for a seed.

(A module of its own because ``applications.py``, which draws the application form and ID card,
is past the size this project splits a module at; only its truth is shared. The drawing kit and
the layouts are in :mod:`tools.samples.sheets`.)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass

from tools.samples.applications import random_truth
from tools.samples.sheets import (
    LAYOUTS,
    LEFT,
    RIGHT,
    Sheet,
    format_date,
    items_for,
    new_sheet,
    phone_photo,
    scan_page,
)

__all__ = [
    "FIRE_CERTIFICATE_LAYOUTS",
    "TENANCY_AGREEMENT_LAYOUTS",
    "SampleDocument",
    "generate_fire_certificate",
    "generate_tenancy_agreement",
    "phone_photo",
]

FIRE_CERTIFICATE_LAYOUTS = ("lines", "table", "below")
TENANCY_AGREEMENT_LAYOUTS = ("lines", "table", "below")

# Printed labels vary between issuers; each is the catalogue's label or one of its synonyms, some
# slightly reworded, as the label/value reader has to cope with.
_FIRE_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "fire_cert_number": (("Certificate No.", "Certificate Number", "Cert. No."), "證書編號"),
    "fire_cert_premises_address": (
        ("Address of premises", "Premises address", "Address of the premises"),
        "處所地址",
    ),
    "fire_cert_inspection_date": (
        ("Date of inspection", "Inspection date", "Date of installation or inspection"),
        "檢查日期",
    ),
    "fire_cert_expiry_date": (("Expiry date", "Valid until", "Next inspection due"), "有效期至"),
    "fire_cert_contractor_name": (
        ("Registered contractor", "Name of registered contractor", "Registered FSI contractor"),
        "註冊承辦商",
    ),
    "fire_cert_contractor_reg_no": (
        ("Registration No.", "Contractor registration No.", "Reg. No."),
        "註冊編號",
    ),
    "fire_cert_holder": (
        ("Certificate holder", "Name of holder", "Holder of certificate"),
        "持證人",
    ),
}
_TENANCY_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "tenancy_landlord": (("Landlord", "Name of landlord", "The Landlord"), "業主"),
    "tenancy_tenant": (("Tenant", "Name of tenant", "The Tenant"), "租客"),
    "tenancy_premises_address": (("Premises", "Address of premises", "The Premises"), "物業地址"),
    "tenancy_term_start": (
        ("Term commencing", "Commencement date", "Term commencing on"),
        "租期開始",
    ),
    "tenancy_term_end": (("Term expiring", "Expiry date", "Term expiring on"), "租期屆滿"),
    "tenancy_monthly_rent": (("Monthly rent", "Rent per month", "Monthly rental"), "月租"),
    "tenancy_signed_date": (("Date of agreement", "Dated", "Date of this agreement"), "簽署日期"),
}
_WIDE = frozenset(
    {
        "fire_cert_premises_address",
        "fire_cert_contractor_name",
        "fire_cert_holder",
        "tenancy_landlord",
        "tenancy_tenant",
        "tenancy_premises_address",
    }
)
_DATE_STYLES = ("%d/%m/%Y", "%Y-%m-%d", "{day} %B %Y", "{day} %b %Y")
_CONTRACTORS = (
    "Dragon Fire Engineering Co. Ltd.",
    "Pacific Fire Protection Limited",
    "Wah Kee Fire Services Engineering Ltd.",
    "Safeguard Fire Installations Limited",
    "Kin Wing Fire Equipment Co. Ltd.",
    "Everbright Fire Services Limited",
)
_CONTRACTOR_STREETS = (
    "18 Wang Chiu Road, Kowloon Bay",
    "33 Hung To Road, Kwun Tong",
    "7 Kwai Hei Street, Kwai Chung",
    "120 Chai Wan Road, Chai Wan",
)
_LANDLORDS = (
    "Harbour Crest Properties Limited",
    "Kwong Fat Investment Company Limited",
    "Sun Lee Estates Limited",
    "Po Shing Realty Limited",
    "WONG Kwok Wah",
    "LEUNG Mei Fung",
)


@dataclass(frozen=True)
class SampleDocument:
    """One generated, scanned supporting document and the values printed on it."""

    kind: str
    layout: str
    truth: dict[str, str]  # field name -> the value exactly as printed
    png: bytes


# --- Fire services certificate -------------------------------------------------------------------


def _fire_truth(seed: int) -> dict[str, str]:
    application = random_truth(seed)
    rng = random.Random(f"fire-certificate-{seed}")
    applied = dt.date.fromisoformat(application["application_date"])
    inspected = applied - dt.timedelta(days=rng.randint(10, 200))
    expires = inspected.replace(year=inspected.year + 1) - dt.timedelta(days=1)
    style = rng.choice(_DATE_STYLES)
    return {
        "fire_cert_number": application["fire_certificate_no"],
        "fire_cert_premises_address": application["premises_address"],
        "fire_cert_inspection_date": format_date(inspected, style),
        "fire_cert_expiry_date": format_date(expires, style),
        "fire_cert_contractor_name": rng.choice(_CONTRACTORS),
        "fire_cert_contractor_reg_no": f"RFSIC-{rng.randint(1, 3)}-{rng.randrange(10**4):04d}",
        # held by the business or by the applicant, as the consistency reviewer accepts
        "fire_cert_holder": application[rng.choice(("business_name", "applicant_name"))],
    }


def _fire_letterhead(sheet: Sheet, truth: Mapping[str, str], rng: random.Random) -> None:
    contractor = truth["fire_cert_contractor_name"]
    sheet.text(LEFT, contractor, size=5.2, kind="sans-bold")
    sheet.y += 7.5
    parts = truth["fire_cert_contractor_reg_no"].split("-")
    klass = parts[1] if len(parts) == 3 else "2"
    sheet.text(LEFT, f"Registered Fire Service Installation Contractor (Class {klass})", size=2.8)
    sheet.y += 4.5
    phone = f"{rng.choice('23')}{rng.randrange(10**7):07d}"
    street = rng.choice(_CONTRACTOR_STREETS)
    sheet.text(LEFT, f"Address: {street}    Tel: {phone[:4]} {phone[4:]}", size=2.8)
    sheet.y += 6.0
    sheet.rule(weight=0.6, gap=7.0)
    sheet.bilingual(LEFT, [("sans-bold", "FIRE SERVICES DEPARTMENT  "), ("cjk", "消防處")], 3.6)
    sheet.text(RIGHT - 18, "FS 251", size=4.2, kind="sans-bold")
    sheet.y += 8.0
    sheet.text(LEFT, "CERTIFICATE OF FIRE SERVICE INSTALLATIONS", size=4.6, kind="sans-bold")
    sheet.y += 6.5
    sheet.text(LEFT, "AND EQUIPMENT", size=4.6, kind="sans-bold")
    sheet.y += 7.0
    sheet.text(LEFT, "消防裝置及設備證書", size=3.6, kind="cjk")
    sheet.y += 9.0
    sheet.paragraph(
        "This is to certify that the fire service installations and equipment installed in the "
        "premises stated below have been inspected and tested by a registered fire service "
        "installation contractor and were found in efficient working order on the date of "
        "inspection."
    )


def _fire_closing(sheet: Sheet) -> None:
    sheet.paragraph(
        "This certificate is issued under the Fire Service (Installation Contractors) "
        "Regulations. The owner or occupier shall arrange for the installations to be inspected "
        "at least once in every 12 months and shall send a copy of this certificate to the "
        "Director of Fire Services within 14 days of the inspection."
    )
    sheet.y += 10.0
    sheet.text(LEFT, "Signature of registered contractor: ____________________", size=3.0)
    sheet.y += 7.0
    sheet.text(LEFT, "(Company chop)", size=2.8, fill=80)


def generate_fire_certificate(
    seed: int,
    *,
    layout: str | None = None,
    overrides: Mapping[str, str] | None = None,
    dpi: int = 150,
) -> SampleDocument:
    """A scanned FS 251 certificate for the premises of application ``seed``.

    ``layout`` is one of :data:`FIRE_CERTIFICATE_LAYOUTS` (default: drawn from the seed);
    ``overrides`` prints other values (an expired date, a malformed registration number).
    """
    truth = _fire_truth(seed) | dict(overrides or {})
    rng = random.Random(f"fire-certificate-layout-{seed}")
    chosen = layout or rng.choice(FIRE_CERTIFICATE_LAYOUTS)
    sheet = new_sheet(dpi)
    _fire_letterhead(sheet, truth, rng)
    sheet.y += 3.0
    LAYOUTS[chosen](sheet, items_for(_FIRE_LABELS, truth, rng, _WIDE), rng)
    _fire_closing(sheet)
    return SampleDocument("fire_certificate", chosen, truth, scan_page(sheet.image, rng))


# --- Tenancy agreement ---------------------------------------------------------------------------


def _money(amount: int, rng: random.Random) -> str:
    return rng.choice((f"HK${amount:,}", f"HK${amount:,}.00", f"HK$ {amount:,}"))


def _tenancy_truth(seed: int) -> dict[str, str]:
    application = random_truth(seed)
    rng = random.Random(f"tenancy-agreement-{seed}")
    applied = dt.date.fromisoformat(application["application_date"])
    signed = applied - dt.timedelta(days=rng.randint(20, 400))
    start = signed + dt.timedelta(days=rng.randint(1, 30))
    years = rng.choice((2, 3))
    end = start.replace(year=start.year + years) - dt.timedelta(days=1)
    style = rng.choice(_DATE_STYLES)
    return {
        "tenancy_landlord": rng.choice(_LANDLORDS),
        "tenancy_tenant": application["applicant_name"],
        "tenancy_premises_address": application["premises_address"],
        "tenancy_term_start": format_date(start, style),
        "tenancy_term_end": format_date(end, style),
        "tenancy_monthly_rent": _money(rng.randint(24, 160) * 500, rng),
        "tenancy_signed_date": format_date(signed, style),
    }


def _tenancy_heading(sheet: Sheet, rng: random.Random) -> None:
    if rng.random() < 0.6:
        sheet.text(LEFT, "Prosperity Estate Agency Limited", size=3.4, kind="sans-bold")
        sheet.text(130, "Licence No. C-012345", size=2.8)
        sheet.y += 6.0
        sheet.rule(weight=0.3, gap=8.0)
    else:
        sheet.y += 8.0
    sheet.text(72, "TENANCY AGREEMENT", size=5.4, kind="sans-bold")
    sheet.y += 8.0
    sheet.text(98, "租約", size=4.4, kind="cjk")
    sheet.y += 11.0
    sheet.paragraph(
        "THIS AGREEMENT is made on the date stated in the Schedule below BETWEEN the Landlord "
        "and the Tenant named in the Schedule. The Landlord agrees to let and the Tenant agrees "
        "to take the Premises for the term and at the rent stated in the Schedule, on the terms "
        "and conditions set out below."
    )
    sheet.text(LEFT, "SCHEDULE", size=3.8, kind="sans-bold")
    sheet.y += 8.0


def _tenancy_clauses(sheet: Sheet) -> None:
    clauses = (
        "1. The Tenant shall pay the monthly rent in advance on the first day of each calendar "
        "month without any deduction.",
        "2. The Tenant shall pay a deposit equal to two months' rent, which the Landlord shall "
        "refund without interest within thirty days after the end of the term of the tenancy.",
        "3. The Tenant shall use the Premises as a restaurant only and shall obtain at the "
        "Tenant's own cost every licence required for that use.",
        "4. The Landlord shall keep the main structure, roof and drains of the building in "
        "proper repair.",
    )
    for clause in clauses:
        sheet.paragraph(clause, size=2.9)
    sheet.y += 6.0
    sheet.text(LEFT, "Signed by the Landlord: ________________", size=3.0)
    sheet.text(112, "Signed by the Tenant: ________________", size=3.0)


def generate_tenancy_agreement(
    seed: int,
    *,
    layout: str | None = None,
    overrides: Mapping[str, str] | None = None,
    dpi: int = 150,
) -> SampleDocument:
    """A scanned tenancy agreement for the premises of application ``seed``, the applicant as
    tenant. ``layout`` is one of :data:`TENANCY_AGREEMENT_LAYOUTS` (default: from the seed)."""
    truth = _tenancy_truth(seed) | dict(overrides or {})
    rng = random.Random(f"tenancy-agreement-layout-{seed}")
    chosen = layout or rng.choice(TENANCY_AGREEMENT_LAYOUTS)
    sheet = new_sheet(dpi)
    _tenancy_heading(sheet, rng)
    LAYOUTS[chosen](sheet, items_for(_TENANCY_LABELS, truth, rng, _WIDE), rng)
    _tenancy_clauses(sheet)
    return SampleDocument("tenancy_agreement", chosen, truth, scan_page(sheet.image, rng))


# --- Phone photos --------------------------------------------------------------------------------
