"""`permits forms`: bring an office's own printed form into the catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cases.errors import CatalogueError, CatalogueProblem, NotFound
from cases.settings import get_settings
from cli.output import console, err, friendly

if TYPE_CHECKING:
    from cases.authoring.widgets import Widget
    from cases.catalogue import Permit

__all__ = ["forms_app"]


forms_app = typer.Typer(
    help="Application forms: import an office's PDF form.", no_args_is_help=True
)


def _permit(permit_type: str) -> Permit:
    from cases.catalogue import load_permit

    path = get_settings().catalogue_dir / permit_type / "permit.yaml"
    if not path.is_file():
        raise NotFound(f"no permit type '{permit_type}': {path} does not exist; write it first")
    return load_permit(path)


def _widget_line(widget: Widget) -> str:
    return f"  {json.dumps(widget.name)} ({widget.describe()})"


def _refuse_to_overwrite(paths: list[Path]) -> None:
    existing = [p for p in paths if p.exists()]
    if existing:
        raise CatalogueError(
            [
                CatalogueProblem(p, None, "(file)", "exists; give --force to replace it")
                for p in existing
            ]
        )


@forms_app.command("import")
@friendly
def forms_import(
    blank: Annotated[Path, typer.Argument(help="The office's blank, fillable PDF form")],
    permit_type: Annotated[str, typer.Option("--type", help="Permit type id (its folder)")],
    mapping: Annotated[
        Path | None,
        typer.Option("--map", help="YAML: widget name -> permit field (without it: a draft)"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="form.yaml to write (default: the permit type's folder)")
    ] = None,
    form_code: Annotated[str | None, typer.Option(help="Form code (default: PDF's name)")] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: the PDF's own)")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing form.yaml and form.pdf")] = False,
) -> None:
    """Read the PDF's fillable fields into form.yaml (page, box, comb cells, multi-line, checkbox,
    tooltip as label). Without --map, print a mapping to edit and write nothing."""
    from cases.authoring.form_import import (
        BLANK_NAME,
        import_form,
        read_mapping,
        suggest_mapping,
    )
    from cases.authoring.widgets import read_blank_form

    permit = _permit(permit_type)
    if not blank.is_file():
        raise typer.BadParameter(f"no such file: {blank}", param_hint="BLANK")
    data = blank.read_bytes()
    widgets = read_blank_form(data, blank.name)
    if mapping is None:
        typer.echo(suggest_mapping(widgets, permit), nl=False)
        return
    result = import_form(
        widgets, permit, read_mapping(mapping, widgets, permit), form_code=form_code, title=title
    )
    target = output or get_settings().catalogue_dir / permit_type / "form.yaml"
    copy = target.parent / BLANK_NAME
    if not force:
        _refuse_to_overwrite([target, copy])
    target.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(data)
    target.write_text(result.text, encoding="utf-8")
    pages = len(result.layout.pages)
    console.print(
        f"wrote {target}: {len(result.layout.fields)} field(s) on {pages} page(s); "
        f"the blank copied to {copy}",
        highlight=False,
    )
    _report(result.unmapped, result.skipped, result.unplaced_required)


def _report(unmapped: list[Widget], skipped: list[Widget], unplaced: list[str]) -> None:
    if unmapped:
        typer.echo(f"{len(unmapped)} widget(s) not mapped, left off the form:")
        for widget in unmapped:
            typer.echo(_widget_line(widget))
    if skipped:
        typer.echo(f"{len(skipped)} widget(s) no applicant writes in, left off:")
        for widget in skipped:
            typer.echo(_widget_line(widget))
    if unplaced:
        err.print(
            f"[yellow]warning:[/yellow] required field(s) not on the form: {', '.join(unplaced)} "
            "(map a widget to each, or place them with the box editor)",
            highlight=False,
        )
