"""Why the machine asks a person to check a field: the facts extraction stores (``cases.facts``).

Each flagged field keeps one of these facts (``ExtractedField.flag``); the verification task's
reason lists them field by field (``VERIFY_FIELDS``). The audit trail's English and the pages'
languages are rendered from the same facts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cases.facts import Fact, Message

__all__ = [
    "CHECK_PAGES",
    "DOCUMENT_UNREADABLE",
    "KIND_OTHER",
    "KIND_UNCERTAIN",
    "LOW_CONFIDENCE",
    "MISSING_PAGE",
    "NOT_A_FORM_PAGE",
    "NOT_VALID",
    "QUALITY_SAMPLE",
    "READS_TWO_WAYS",
    "REQUIRED_EMPTY",
    "UNREADABLE_PAGE",
    "UNUSUAL_NUMBER",
    "VERIFY_FIELDS",
    "VERIFY_FIELDS_AND_PAGES",
    "summarise_checks",
    "verification_reason",
]

REQUIRED_EMPTY = Message("required_empty", "required field is empty or could not be read")
NOT_VALID = Message(
    "not_valid", "value does not validate: %(problem)s", facts=frozenset({"problem"})
)
READS_TWO_WAYS = Message(
    "reads_two_ways",
    "the handwriting reads two ways: '%(first)s' or '%(second)s'; check which is written",
)
UNUSUAL_NUMBER = Message(
    "unusual_number",
    "%(value)s is outside the usual %(low)g to %(high)g; check it against the document "
    "(a decimal point is easily lost)",
)
LOW_CONFIDENCE = Message(
    "low_confidence",
    "OCR confidence %(confidence).2f is below this field's threshold %(threshold).2f",
)
QUALITY_SAMPLE = Message(
    "quality_sample",
    "quality sample: %(percent)g%% of cases are checked by a person at random",
)
DOCUMENT_UNREADABLE = Message(
    "document_unreadable",
    "the document '%(file)s' could not be read (%(problem)s); ask the applicant for a new copy "
    "and type the value in",
)
KIND_OTHER = Message(
    "kind_other",
    "uploaded as %(uploaded)s but its text reads as %(reads_as)s (keywords found: "
    "%(keywords)s); check that the right document was uploaded",
    documents=frozenset({"uploaded", "reads_as"}),
    lists=frozenset({"keywords"}),
)
KIND_UNCERTAIN = Message(
    "kind_uncertain",
    "the document's kind is uncertain: classifier confidence %(confidence).2f is below "
    "%(threshold).2f (keywords found: %(keywords)s)",
    lists=frozenset({"keywords"}),
)
MISSING_PAGE = Message(
    "missing_page",
    "page %(page)d of the form is not in the scan; ask the applicant for it or type the value in",
)
#: Not a field's reason but a scanned page's: kept with the document and shown on the case page.
NOT_A_FORM_PAGE = Message(
    "not_a_form_page",
    "page %(page)d of '%(file)s' is no page of the form; it is kept: look at it on the case page",
)

#: The verification task's reason: every flagged field with why.
VERIFY_FIELDS = Message(
    "verify_fields",
    "%(flagged)d of %(total)d fields to check: %(checks)s",
    checks=frozenset({"checks"}),
)
#: ...and, when the scan also holds pages that are no page of the form, those pages.
VERIFY_FIELDS_AND_PAGES = Message(
    "verify_fields_and_pages",
    "%(fields)s; %(pages)s",
    facts=frozenset({"fields", "pages"}),
)
#: ...or those pages alone, when every field read well.
CHECK_PAGES = Message("check_pages", "%(pages)s", facts=frozenset({"pages"}))
#: What the inbox says instead of a long list when most of a form could not be read.
UNREADABLE_PAGE = Message(
    "unreadable_page",
    "%(unreadable)d of %(total)d fields unreadable: is this the right page or document?",
)
#: A short list for the inbox: the first few checks, and how many more the case page shows.
SOME_CHECKS = Message(
    "some_checks",
    "%(checks)s; and %(more)d more on the case page",
    checks=frozenset({"checks"}),
)

# Most of the fields empty is a wrong page, a blank one or an unreadable scan, not N problems.
_UNREADABLE_SHARE = 0.5
_UNREADABLE_CODES = frozenset({REQUIRED_EMPTY.code, DOCUMENT_UNREADABLE.code})
_INBOX_CHECKS = 3


def verification_reason(
    checks: Sequence[tuple[str, Fact]], total: int, pages: Sequence[Fact] = ()
) -> Fact:
    """The verification task's reason: ``checks`` is (field name, why) for each flagged field,
    ``pages`` the scanned pages a person must look at (``NOT_A_FORM_PAGE``)."""
    listed = [{"field": name, "why": why} for name, why in checks]
    fields = VERIFY_FIELDS(flagged=len(listed), total=total, checks=listed)
    if not pages:
        return fields
    if not listed:
        return CHECK_PAGES(pages=list(pages))
    return VERIFY_FIELDS_AND_PAGES(fields=fields, pages=list(pages))


def summarise_checks(reason: Fact) -> Fact:
    """The verification reason as the inbox's one-line "why": most of the form unreadable is
    said once, and a long list is cut short (the case page shows every field)."""
    if reason.get("code") == VERIFY_FIELDS_AND_PAGES.code:
        return {**reason, "fields": summarise_checks(reason["fields"])}
    if reason.get("code") != VERIFY_FIELDS.code:
        return reason
    checks, total = reason["checks"], int(reason["total"])
    unreadable = sum(1 for item in checks if item["why"].get("code") in _UNREADABLE_CODES)
    if total and unreadable > 1 and unreadable >= total * _UNREADABLE_SHARE:
        return UNREADABLE_PAGE(unreadable=unreadable, total=total)
    if len(checks) > _INBOX_CHECKS:
        return SOME_CHECKS(checks=checks[:_INBOX_CHECKS], more=len(checks) - _INBOX_CHECKS)
    return reason
