"""The cross-document consistency reviewer: local and deterministic.

It compares the applicant's name and identity card number on the application form with the copy
of the identity card; the premises address with the tenancy agreement and the fire certificate;
the tenant and the certificate's holder with the applicant and the business; and the dates the
documents give with the application's; and says which evidence is missing. Tolerant of how
people write: word order, initials, punctuation and spacing in names ("CHAN Tai Man" =
"Tai-man Chan" = "T.M. CHAN"); abbreviations and floors in addresses.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from cases.catalogue import ReviewPolicy
from cases.facts import Message
from cases.review.base import Evidence, FieldRef, Finding, ReviewContext
from cases.values import normalise_address, normalise_hkid, parse_date
from cases.vocabulary import Severity

__all__ = [
    "REVIEWER",
    "REVIEWER_VERSION",
    "ConsistencyReviewer",
    "address_words",
    "cross_check",
    "document_checks",
    "same_address",
    "same_person_name",
]

REVIEWER = "consistency"
REVIEWER_VERSION = "2.1"

NAME_MISMATCH = Message(
    "name_mismatch",
    "The form names '%(form_name)s' but the identity card shows '%(card_name)s' "
    "(similarity %(similarity).0f%%).",
)
ID_NUMBER_MISMATCH = Message(
    "id_number_mismatch",
    "The identity card number on the form (%(form_id)s) differs from the card (%(card_id)s).",
)
MISSING_EVIDENCE = Message(
    "missing_evidence", "%(field)s is empty; not cross-checked.", fields=frozenset({"field"})
)
ADDRESS_MISMATCH = Message(
    "address_mismatch",
    "The premises on the form (%(form_address)s) differ from %(other_field)s (%(other_address)s).",
    fields=frozenset({"other_field"}),
)
BUSINESS_NAME_MISMATCH = Message(
    "business_name_mismatch",
    "%(other_field)s names '%(other_name)s', neither the applicant (%(applicant)s) nor the "
    "business (%(business)s).",
    fields=frozenset({"other_field"}),
)
DATE_CONTRADICTION = Message(
    "date_contradiction",
    "%(field)s (%(date)s) should be %(relation)s %(other_field)s (%(other_date)s).",
    fields=frozenset({"field", "other_field"}),
    terms=frozenset({"relation"}),
)

#: Supporting documents' premises addresses compared with the form's.
_ADDRESS_FIELDS = ("tenancy_premises_address", "fire_cert_premises_address")
#: Parties who must be the applicant or the business: the tenant, the fire certificate's holder.
_PARTY_FIELDS = ("tenancy_tenant", "fire_cert_holder")
#: (field, "on_or_before" | "after", other field): a date the documents must respect.
_DATE_ORDER = (
    ("fire_cert_inspection_date", "on_or_before", "application_date"),
    ("tenancy_signed_date", "on_or_before", "application_date"),
    ("tenancy_term_end", "after", "application_date"),
)
_ABBREVIATIONS = {
    "ST": "STREET",
    "RD": "ROAD",
    "AVE": "AVENUE",
    "BLDG": "BUILDING",
    "CTR": "CENTRE",
    "CENTER": "CENTRE",
    "FL": "FLOOR",
    "FLR": "FLOOR",
    "GF": "GROUND FLOOR",
    "HSE": "HOUSE",
    "MANSION": "MANSIONS",
}

_IDENTITY_FIELDS = ("applicant_name", "hkid", "id_card_name", "id_card_number")


def _name_words(name: str) -> list[str]:
    """A person's name as upper-case words: punctuation and hyphens split words ("Tai-man")."""
    return re.sub(r"[^\w]+", " ", name.upper()).split()


def name_similarity(first: str, second: str) -> float:
    """How alike two ways of writing a person's name are (0-100), setting aside word order,
    spacing, punctuation and initials: "CHAN Tai Man" = "Tai-man Chan" = "T.M. CHAN"."""
    a, b = _name_words(first), _name_words(second)
    if not a or not b:
        return 0.0
    plain = fuzz.token_sort_ratio(" ".join(a), " ".join(b))
    return max(plain, _initials_match(a, b), _initials_match(b, a))


def _initials_match(full: list[str], short: list[str]) -> float:
    """100 when ``short`` is ``full`` with its given names as initials ("T M CHAN", "TM CHAN")."""
    initials = [w for w in short if len(w) <= 2]
    surnames = [w for w in short if len(w) > 2]
    if not initials or len(surnames) != 1 or surnames[0] not in full:
        return 0.0
    given = [w for w in full if w != surnames[0]]
    return 100.0 if "".join(initials) == "".join(w[0] for w in given) else 0.0


def same_person_name(first: str, second: str, threshold: float) -> bool:
    return name_similarity(first, second) >= threshold


def cross_check(values: dict[str, str], policy: ReviewPolicy | None = None) -> list[Finding]:
    """Compare what the form says with what the identity card copy says (field names only as
    evidence; :class:`ConsistencyReviewer` adds where each was read)."""
    threshold = (policy or ReviewPolicy()).consistency.name_similarity
    findings: list[Finding] = []
    form_name, card_name = values.get("applicant_name", ""), values.get("id_card_name", "")
    if form_name and card_name:
        score = name_similarity(form_name, card_name)
        if score < threshold:
            fact = NAME_MISMATCH(form_name=form_name, card_name=card_name, similarity=round(score))
            findings.append(Finding(fact, Severity.HIGH, _names("applicant_name", "id_card_name")))
    form_id = normalise_hkid(values.get("hkid", "")) or values.get("hkid", "")
    card_id = normalise_hkid(values.get("id_card_number", "")) or values.get("id_card_number", "")
    if form_id and card_id and form_id != card_id:
        fact = ID_NUMBER_MISMATCH(form_id=form_id, card_id=card_id)
        findings.append(Finding(fact, Severity.HIGH, _names("hkid", "id_card_number")))
    for name in _IDENTITY_FIELDS:
        if not values.get(name):
            findings.append(Finding(MISSING_EVIDENCE(field=name), Severity.WARNING, _names(name)))
    return findings


def address_words(address: str) -> list[str]:
    """An address as comparable words: upper case, punctuation and apostrophes gone, floors and
    common abbreviations written out ("G/F" = "Ground Floor", "Rd." = "Road")."""
    text = (normalise_address(address)[0] or address).upper().replace("'", "")
    text = re.sub(r"\bG/F\b", " GROUND FLOOR ", text)
    text = re.sub(r"\b(\d+)/F\b", r" \1 FLOOR ", text)
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words).split()


def same_address(first: str, second: str, threshold: float) -> bool:
    """Same numbers (building, floor, shop) and words alike above ``threshold`` (0-100)."""
    a, b = address_words(first), address_words(second)
    numbers = sorted(w for w in a if w.isdigit()) == sorted(w for w in b if w.isdigit())
    return numbers and fuzz.token_sort_ratio(" ".join(a), " ".join(b)) >= threshold


def document_checks(values: dict[str, str], policy: ReviewPolicy | None = None) -> list[Finding]:
    """The supporting documents against the form: premises, tenant, and the order of dates."""
    settings = (policy or ReviewPolicy()).consistency
    findings: list[Finding] = []
    form_address = values.get("premises_address", "")
    for name in _ADDRESS_FIELDS:
        other = values.get(name, "")
        if (
            form_address
            and other
            and not same_address(form_address, other, settings.address_similarity)
        ):
            fact = ADDRESS_MISMATCH(
                form_address=form_address, other_field=name, other_address=other
            )
            findings.append(Finding(fact, Severity.HIGH, _names("premises_address", name)))
    applicant, business = values.get("applicant_name", ""), values.get("business_name", "")
    for name in _PARTY_FIELDS:
        party = values.get(name, "")
        if party and (applicant or business) and not _is_party(party, applicant, business, policy):
            fact = BUSINESS_NAME_MISMATCH(
                other_field=name, other_name=party, applicant=applicant, business=business
            )
            evidence = _names(name, "applicant_name", "business_name")
            findings.append(Finding(fact, Severity.WARNING, evidence))
    findings.extend(_date_checks(values))
    return findings


def _is_party(party: str, applicant: str, business: str, policy: ReviewPolicy | None) -> bool:
    settings = (policy or ReviewPolicy()).consistency
    if applicant and name_similarity(party, applicant) >= settings.name_similarity:
        return True
    score = fuzz.token_sort_ratio(" ".join(_name_words(party)), " ".join(_name_words(business)))
    return bool(business) and score >= settings.business_similarity


def _date_checks(values: dict[str, str]) -> list[Finding]:
    findings = []
    for name, relation, other in _DATE_ORDER:
        date, other_date = parse_date(values.get(name, "")), parse_date(values.get(other, ""))
        if date is None or other_date is None:
            continue
        wrong = date > other_date if relation == "on_or_before" else date <= other_date
        if wrong:
            fact = DATE_CONTRADICTION(
                field=name,
                date=date.isoformat(),
                relation=relation,
                other_field=other,
                other_date=other_date.isoformat(),
            )
            findings.append(Finding(fact, Severity.HIGH, _names(name, other)))
    return findings


def _names(*names: str) -> Evidence:
    return Evidence(fields=tuple(FieldRef(name) for name in names))


class ConsistencyReviewer:
    """Names, identity numbers, business names, addresses and dates across every document."""

    name = REVIEWER
    version = REVIEWER_VERSION
    model_name: str | None = None
    weights_hash: str | None = None
    on_by_default = True

    def review(self, ctx: ReviewContext) -> list[Finding]:
        values, policy = dict(ctx.field_values), ctx.permit_type.permit.review
        findings = cross_check(values, policy) + document_checks(values, policy)
        return [_located(finding, ctx) for finding in findings]


def _located(finding: Finding, ctx: ReviewContext) -> Finding:
    """The finding with its fields' documents, pages and boxes filled in."""
    evidence = ctx.evidence(*finding.evidence.field_names)
    return Finding(finding.fact, finding.severity, evidence, finding.proposes_referral)
