"""What the admin pages show of the permit catalogue: versions, problems, inline tests, letters.

The problems are those of ``permits catalogue check`` (the same :mod:`cases.authoring.lint`
functions, with file and line) and the inline tests run as ``permits rules test`` runs them.
Each permit folder is loaded on its own, so one broken file hides only its own permit type, and
nothing here touches the cached catalogue the rest of the app runs on: a half-edited file on
disk never breaks the inbox.

A full check took 0.4-1.4 s here (3 permit types, 36 rules, 44 tests, 6 letter templates, 2 busy
cores), so the report is cached under a fingerprint of every catalogue and template file (path,
modification time, size): the page re-checks after any edit, and takes ~1 ms otherwise.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cases.authoring.letter_check import check_templates, sample_context
from cases.authoring.lint import check_rules
from cases.catalogue import PermitType, Ruleset, line_at, load_permit_type, yaml_lines
from cases.eligibility import run_inline_test
from cases.errors import CatalogueError, CatalogueProblem, NotFound
from cases.letters import print_pdf, render_letter_html, template_name
from cases.models import utcnow
from cases.settings import get_settings
from cases.vocabulary import Decision, Language

__all__ = [
    "LETTER_LANGUAGES",
    "LETTER_OUTCOMES",
    "CatalogueReport",
    "InlineTestResult",
    "LetterPreview",
    "PermitReport",
    "VersionReport",
    "catalogue_report",
    "letter_pdf",
    "permit_report",
    "preview_letter",
]

# The letters an admin authors per permit type (the ones ``check_templates`` renders).
LETTER_OUTCOMES = tuple(Decision)
LETTER_LANGUAGES = tuple(language.value for language in Language)


@dataclass(frozen=True)
class InlineTestResult:
    name: str
    file: Path
    line: int | None
    failure: str | None  # what differed, as ``permits rules test`` prints it; None: passed

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class VersionReport:
    """One rule set file, with the line of each of its parts for the admin to find them."""

    ruleset: Ruleset
    file: Path
    in_force: bool
    tests: list[InlineTestResult]
    lines: dict[tuple[Any, ...], int] = field(repr=False)

    def line(self, *loc: Any) -> int | None:
        """The line of ``("rules", 0)``, ``("tables", 1)``…, as ``permits rules check`` says."""
        return line_at(self.lines, *loc)


@dataclass(frozen=True)
class PermitReport:
    folder: Path
    permit_type: PermitType | None  # None when its files do not load (see ``problems``)
    versions: list[VersionReport]
    problems: list[CatalogueProblem]

    @property
    def id(self) -> str:
        return self.permit_type.id if self.permit_type else self.folder.name

    @property
    def tests(self) -> list[InlineTestResult]:
        return [test for version in self.versions for test in version.tests]


@dataclass(frozen=True)
class CatalogueReport:
    folder: Path
    templates: Path
    permits: list[PermitReport]
    problems: list[CatalogueProblem]  # all of them, folder-level ones first
    checked_at: dt.datetime
    seconds: float

    @property
    def tests(self) -> list[InlineTestResult]:
        return [test for permit in self.permits for test in permit.tests]

    @property
    def failed_tests(self) -> list[InlineTestResult]:
        return [test for test in self.tests if not test.passed]


def _tests(
    ruleset: Ruleset, path: Path, lines: dict[tuple[Any, ...], int]
) -> list[InlineTestResult]:
    return [
        InlineTestResult(
            test.name, path, line_at(lines, "tests", i, "name"), run_inline_test(ruleset, test)
        )
        for i, test in enumerate(ruleset.tests)
    ]


def _versions(permit_type: PermitType, today: dt.date) -> list[VersionReport]:
    versions = []
    for ruleset, path in zip(permit_type.rulesets, permit_type.ruleset_paths, strict=True):
        lines = yaml_lines(path)
        versions.append(
            VersionReport(
                ruleset, path, ruleset.in_force_on(today), _tests(ruleset, path, lines), lines
            )
        )
    return sorted(versions, key=lambda v: v.ruleset.effective_from, reverse=True)


def _permit_report(folder: Path, templates: Path, today: dt.date) -> PermitReport:
    try:
        permit_type = load_permit_type(folder)
    except CatalogueError as exc:
        return PermitReport(folder, None, [], exc.problems)
    problems = check_rules(permit_type) + check_templates(permit_type, templates)
    return PermitReport(folder, permit_type, _versions(permit_type, today), problems)


def _files(*roots: Path) -> Iterator[tuple[str, int, int]]:
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    stat = path.stat()
                    yield str(path), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=4)
def _report(
    folder: Path, templates: Path, today: dt.date, _fingerprint: tuple[Any, ...]
) -> CatalogueReport:
    started = time.perf_counter()
    if not folder.is_dir():
        missing = CatalogueProblem(folder, None, "(folder)", "the catalogue folder does not exist")
        return CatalogueReport(folder, templates, [], [missing], utcnow(), 0.0)
    permits = [
        _permit_report(path, templates, today)
        for path in sorted(folder.iterdir())
        if path.is_dir() and (path / "permit.yaml").exists()
    ]
    problems = [problem for permit in permits for problem in permit.problems]
    return CatalogueReport(
        folder, templates, permits, problems, utcnow(), time.perf_counter() - started
    )


def catalogue_report(
    folder: Path | None = None, *, today: dt.date | None = None
) -> CatalogueReport:
    """Check the catalogue as it is on disk now (re-checked only when a file changed)."""
    settings = get_settings()
    folder = (folder or settings.catalogue_dir).resolve()
    templates = settings.letter_templates_dir.resolve()
    fingerprint = tuple(_files(folder, templates))
    return _report(folder, templates, today or dt.date.today(), fingerprint)


def permit_report(permit_type_id: str, folder: Path | None = None) -> PermitReport:
    report = catalogue_report(folder)
    for permit in report.permits:
        if permit.id == permit_type_id:
            return permit
    known = ", ".join(p.id for p in report.permits) or "none"
    raise NotFound(f"the catalogue has no permit type '{permit_type_id}' (known: {known})")


@dataclass(frozen=True)
class LetterPreview:
    template: Path
    html: str | None  # None when the template does not render (see ``problems``)
    problems: list[CatalogueProblem]


def _check_letter(outcome: str, language: str) -> None:
    if outcome not in LETTER_OUTCOMES:
        raise NotFound(
            f"there is no letter for '{outcome}' (letters: {', '.join(LETTER_OUTCOMES)})"
        )
    if language not in LETTER_LANGUAGES:
        languages = " or ".join(LETTER_LANGUAGES)
        raise NotFound(f"letters are written in {languages}, not '{language}'")


def preview_letter(permit_type: PermitType, outcome: str, language: str = "en") -> LetterPreview:
    """The letter rendered against the sample case ``permits catalogue check`` uses.

    Each field prints as ``<field_name>``, so the preview shows where every value lands.
    """
    _check_letter(outcome, language)
    root = get_settings().letter_templates_dir
    name = template_name(permit_type.id, outcome, language)
    context = {**sample_context(permit_type, language), "decision": outcome}
    try:
        return LetterPreview(root / name, render_letter_html(name, context, root), [])
    except CatalogueError as exc:
        return LetterPreview(root / name, None, exc.problems)


def letter_pdf(preview: LetterPreview) -> bytes:
    """The preview as the PDF an applicant would get (printed as ``issue_letters`` prints)."""
    if preview.html is None:
        raise CatalogueError(preview.problems)
    return print_pdf(preview.html, preview.template)
