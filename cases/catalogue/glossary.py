"""How the catalogue names things in each language, for rendering facts (``cases.facts``).

A fact names a field or a kind of document by its id (``floor_area_m2``, ``fire_certificate``);
the reader sees the permit's label for it in their language. A supporting document's kind is
stored as a field of its own (``fire_certificate_document_type``), named "Fire services
certificate (kind of document)".
"""

from __future__ import annotations

from collections.abc import Callable

from cases.catalogue.schema import PermitType, Text
from cases.facts import ENGLISH, Glossary, Message

__all__ = [
    "DOCUMENT_TYPE_SUFFIX",
    "KIND_OF_DOCUMENT",
    "UNKNOWN_KIND",
    "document_type_field",
    "glossary_for",
    "in_language",
]

DOCUMENT_TYPE_SUFFIX = "_document_type"
KIND_OF_DOCUMENT = Message(
    "kind_of_document", "%(document)s (kind of document)", documents=frozenset({"document"})
)
#: A document whose text matched no kind the permit knows.
UNKNOWN_KIND = "unknown"
_NO_KNOWN_KIND = "no known kind of document"
# How each language separates a list, a label from its text, and one line from the next.
_PUNCTUATION = {"zh-Hant": ("、", "：", "；")}


def document_type_field(kind: str) -> str:
    """Name of the field that records what an uploaded supporting document reads as."""
    return f"{kind}{DOCUMENT_TYPE_SUFFIX}"


def in_language(text: Text, language: str) -> str:
    return text.in_language(language)


def glossary_for(
    permit_type: PermitType | None,
    language: str = "en",
    translate: Callable[[str], str] = ENGLISH.translate,
) -> Glossary:
    """The permit's labels and document names in ``language`` (ids as they are when the
    catalogue no longer knows them), with ``translate`` for the messages themselves."""
    labels: dict[str, str] = {}
    documents: dict[str, str] = {UNKNOWN_KIND: translate(_NO_KNOWN_KIND)}
    if permit_type is not None:
        permit = permit_type.permit
        labels = {spec.name: in_language(spec.label, language) for spec in permit.all_fields}
        documents |= {d.kind: in_language(d.name, language) for d in permit.required_documents}

    def document(kind: str) -> str:
        return documents.get(kind, kind)

    def field(name: str) -> str:
        kind = name.removesuffix(DOCUMENT_TYPE_SUFFIX)
        if name not in labels and kind != name and kind in documents:
            return translate(KIND_OF_DOCUMENT.template) % {"document": document(kind)}
        return labels.get(name, name)

    separator, label_separator, line_separator = _PUNCTUATION.get(language, (", ", ": ", "; "))
    return Glossary(
        translate=translate,
        field=field,
        document=document,
        separator=separator,
        label_separator=label_separator,
        line_separator=line_separator,
    )
