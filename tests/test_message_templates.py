"""Message templates: one per kind and language, naming only the facts of their kind; a mistake is
reported by `permits catalogue check` with the template's file and line."""

from __future__ import annotations

import gettext
import os
import shutil
from pathlib import Path

import pytest

from cases.errors import CatalogueError
from cases.models import MessageKind
from cases.notifications import check_message_templates, render_message
from cases.notifications.rendering import sample_facts
from cases.settings import get_settings
from cases.vocabulary import Language
from tests.conftest import Invoke

SHIPPED = get_settings().message_templates_dir


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "messages"
    shutil.copytree(SHIPPED, folder)
    return folder


def test_the_shipped_templates_pass_the_check() -> None:
    assert check_message_templates(SHIPPED) == []


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_reads_naturally_in_both_languages(kind: MessageKind) -> None:
    facts = {  # what the sender always gives, and one fact of some kinds; the others are absent
        "reference": "FBL-2026-000001",
        "permit_name": "食物業牌照",
        "applicant_name": "",
        "status_url": "https://permits.example/status",
        "attachments": [],
        "due_on": "2026-04-01",
    }
    chinese = render_message(kind, Language.ZH_HANT, facts, SHIPPED)
    english_facts = facts | {"permit_name": "Food Business Licence"}
    english = render_message(kind, Language.EN, english_facts, SHIPPED)
    assert "FBL-2026-000001" in chinese.subject
    assert "FBL-2026-000001" in english.subject
    assert "牌照事務處" in chinese.body  # signed as the letterhead names the office
    assert "Licensing Office" in english.body
    assert "None" not in chinese.body + english.body  # a fact not given prints nothing
    if kind in {MessageKind.INFORMATION_REQUEST, MessageKind.REMINDER, MessageKind.LAPSE}:
        assert "2026年4月1日" in chinese.body
        assert "1 April 2026" in english.body


def test_a_template_naming_an_unknown_fact_is_reported_with_file_and_line(
    templates: Path,
) -> None:
    path = templates / "reminder.zh-Hant.txt.j2"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "請於 {{ deadline }} 前回覆。")
    path.write_text("\n".join(lines), encoding="utf-8")

    (problem,) = check_message_templates(templates)

    assert (problem.file, problem.line, problem.field) == (path, 4, "deadline")
    assert str(problem).startswith(f"{path}:4: deadline: not a fact of a reminder message")
    assert "due_on" in problem.message  # says what it may use instead


def test_a_missing_template_and_a_syntax_error_are_reported(templates: Path) -> None:
    (templates / "lapse.en.txt.j2").unlink()
    broken = templates / "decision.en.txt.j2"
    broken.write_text("{% block subject %}{{ reference }{% endblock %}\n", encoding="utf-8")

    problems = {(p.file.name, p.line, p.message) for p in check_message_templates(templates)}

    assert ("lapse.en.txt.j2", None, "the message template is missing") in problems
    assert any(name == "decision.en.txt.j2" and line == 1 for name, line, _ in problems)


def test_a_template_without_a_subject_cannot_be_rendered(templates: Path) -> None:
    (templates / "acknowledgement.en.txt.j2").write_text(
        "{% block body %}Received {{ reference }}.{% endblock %}\n", encoding="utf-8"
    )

    with pytest.raises(CatalogueError, match=r"no \{% block subject %\}"):
        render_message(MessageKind.ACKNOWLEDGEMENT, Language.EN, {"reference": "X"}, templates)


def test_the_templates_are_loaded_once_per_process_and_an_edit_still_shows(
    templates: Path,
) -> None:
    from cases.notifications.rendering import _environment

    facts = sample_facts(MessageKind.ACKNOWLEDGEMENT)
    first = render_message(MessageKind.ACKNOWLEDGEMENT, Language.EN, facts, templates)
    environment = _environment(templates, Language.EN)
    render_message(MessageKind.ACKNOWLEDGEMENT, Language.EN, facts, templates)
    assert _environment(templates, Language.EN) is environment  # built once, not per message

    edited = templates / "acknowledgement.en.txt.j2"
    edited.write_text(
        "{% block subject %}Got it: {{ reference }}{% endblock %}"
        "{% block body %}Received.{% endblock %}\n",
        encoding="utf-8",
    )
    stat = edited.stat()
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    second = render_message(MessageKind.ACKNOWLEDGEMENT, Language.EN, facts, templates)
    assert first.subject != second.subject
    assert second.subject == "Got it: FBL-2026-000000"


def test_the_catalogue_check_command_reports_a_message_template_problem(
    templates: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    (templates / "lapse.en.txt.j2").write_text(
        "{% block subject %}{{ referense }}{% endblock %}{% block body %}x{% endblock %}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PERMITS_MESSAGE_TEMPLATES_DIR", str(templates))
    get_settings.cache_clear()
    try:
        result = cli("catalogue", "check")
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1
    unwrapped = "".join(result.output.split())  # the console wraps long lines
    assert "lapse.en.txt.j2:1:referense:notafactofalapsemessage" in unwrapped


@pytest.mark.parametrize("kind", [MessageKind.ACKNOWLEDGEMENT, MessageKind.INFORMATION_REQUEST])
def test_a_chinese_message_names_the_reference_and_code_as_the_status_page_labels_them(
    kind: MessageKind,
) -> None:
    """The applicant types what the message names into fields the status page labels: the
    same words, or they look for a number they were never given."""
    pages = gettext.translation("messages", Path("web/locale"), languages=["zh_Hant"])
    body = render_message(kind, Language.ZH_HANT, sample_facts(kind)).body
    assert pages.gettext("Reference") in body
    assert pages.gettext("Access code") in body
