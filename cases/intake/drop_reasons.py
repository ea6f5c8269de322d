"""Why the drop box did not make a case of something, as facts (code and values).

The audit trail stores the fact; the ``.reason.txt`` a clerk finds beside a rejected file is
rendered from it, saying in plain words what is wrong and what to do next.
"""

from __future__ import annotations

from cases.facts import Message

__all__ = [
    "DROP_DUPLICATE",
    "DROP_EMPTY_FOLDER",
    "DROP_FILE_REFUSED",
    "DROP_NO_FORM_PAGE",
    "DROP_UNKNOWN_PERMIT_TYPE",
]

# ``reason`` is intake's refusal as a fact of its own (``cases.intake.DOCUMENT_PROBLEMS``), said
# in the note's language; one stored before it was a fact is an English sentence, shown as it is.
DROP_FILE_REFUSED = Message(
    "drop_file_refused",
    "The file %(file)s cannot be used: %(reason)s. Nothing was created. Scan the application "
    "again (or fix the file) and drop the new file into the incoming folder.",
    facts=frozenset({"reason"}),
)
DROP_DUPLICATE = Message(
    "drop_duplicate",
    "%(item)s was already received on %(received)s as case %(reference)s, so it was not "
    "processed a second time. Nothing to do: that case is already being worked on. If this is "
    "a different application, scan it again and drop the new scan.",
)
DROP_EMPTY_FOLDER = Message(
    "drop_empty_folder",
    "The folder %(item)s holds no documents. Put the scans of one application in it (the "
    "application form, the identity card copy and any other documents) and drop it again.",
)
DROP_NO_FORM_PAGE = Message(
    "drop_no_form_page",
    "None of the %(pages)d pages of %(item)s is a page of the %(form)s. Check that the "
    "application form was scanned with the other documents, and that the file was dropped in "
    "the folder of its permit type, then drop it again.",
    documents=frozenset({"form"}),
)
DROP_UNKNOWN_PERMIT_TYPE = Message(
    "drop_unknown_permit_type",
    "The drop box folder %(folder)s is not a permit type of the catalogue, so nothing in it is "
    "read. Rename it to one of: %(known)s, or move its files into the right folder.",
    lists=frozenset({"known"}),
)
