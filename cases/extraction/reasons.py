"""Why the machine asks a person to check something: the shapes of the reasons extraction stores.

Reasons are stored in English, the audit trail's language, filled in from these templates
(``%(name)s`` placeholders, ``%%`` for a percent sign). The web pages show them in the reader's
language by matching a stored reason against the same templates, so a template changed here is
changed for both; its translation then has to be updated (``python -m web.i18n``).
"""

from __future__ import annotations

__all__ = [
    "ALL",
    "DOCUMENT_UNREADABLE",
    "KIND_OF_DOCUMENT",
    "KIND_OTHER",
    "KIND_UNCERTAIN",
    "LOW_CONFIDENCE",
    "NOT_VALID",
    "QUALITY_SAMPLE",
    "READS_TWO_WAYS",
    "REQUIRED_EMPTY",
    "UNUSUAL_NUMBER",
]

REQUIRED_EMPTY = "required field is empty or could not be read"
NOT_VALID = "value does not validate: %(problem)s"
READS_TWO_WAYS = (
    "the handwriting reads two ways: '%(first)s' or '%(second)s'; check which is written"
)
UNUSUAL_NUMBER = (
    "%(value)s is outside the usual %(low)s to %(high)s; check it against the document "
    "(a decimal point is easily lost)"
)
LOW_CONFIDENCE = "OCR confidence %(confidence)s is below this field's threshold %(threshold)s"
QUALITY_SAMPLE = "quality sample: %(percent)s%% of cases are checked by a person at random"
DOCUMENT_UNREADABLE = (
    "the document '%(file)s' could not be read (%(problem)s); ask the applicant for a new copy "
    "and type the value in"
)
KIND_OTHER = (
    "uploaded as %(uploaded)s but its text reads as %(reads_as)s (keywords found: %(keywords)s); "
    "check that the right document was uploaded"
)
KIND_UNCERTAIN = (
    "the document's kind is uncertain: classifier confidence %(confidence)s is below "
    "%(threshold)s (keywords found: %(keywords)s)"
)
#: A supporting document's kind, named as a field in a verification task's reason.
KIND_OF_DOCUMENT = "%(document)s (kind of document)"

#: The reasons a field can be flagged for (``KIND_OF_DOCUMENT`` names a field, it is no reason).
ALL = (
    REQUIRED_EMPTY,
    NOT_VALID,
    READS_TWO_WAYS,
    UNUSUAL_NUMBER,
    LOW_CONFIDENCE,
    QUALITY_SAMPLE,
    DOCUMENT_UNREADABLE,
    KIND_OTHER,
    KIND_UNCERTAIN,
)
