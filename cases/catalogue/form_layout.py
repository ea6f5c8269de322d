"""The application form's layout (``form.yaml``): its pages and where each permit field is
written on them, in millimetres from the page's top-left corner, as zonal OCR reads it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["A4_PAGE", "FormField", "FormFieldKind", "FormLayout", "FormPage", "Millimetres"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


FormFieldKind = Literal["text", "comb", "checkbox", "multiline"]

Millimetres = Annotated[float, Field(gt=0)]


class FormPage(_Strict):
    """One page of the blank form, in the order of the blank PDF's pages."""

    size_mm: tuple[Millimetres, Millimetres] = Field(
        description="Width and height in millimetres as the page is read (landscape: wider)."
    )


A4_PAGE = FormPage(size_mm=(210.0, 297.0))


class FormField(_Strict):
    """Where one permit field is written on the form: its page and box (origin top-left, mm)."""

    field: str
    page: Annotated[int, Field(ge=1)] = Field(1, description="1-based page of the blank form.")
    box_mm: Annotated[tuple[float, float, float, float], Field(description="x, y, width, height")]
    kind: FormFieldKind = Field(
        "text",
        description="text: one line; comb: one box per character (needs cells); checkbox: "
        "ticked or not; multiline: several lines of text (lines: how many, if known).",
    )
    cells: Annotated[int, Field(gt=0)] | None = None
    lines: Annotated[int, Field(gt=0)] | None = None
    label: str | None = Field(
        None, description="What the form prints by the box (e.g. the PDF field's tooltip)."
    )
    allowlist: str | None = None

    @model_validator(mode="after")
    def _kind_has_its_counts(self) -> FormField:
        if (self.kind == "comb") != (self.cells is not None):
            raise ValueError("cells is given for, and only for, a field of kind 'comb'")
        if self.lines is not None and self.kind != "multiline":
            raise ValueError("lines is given only for a field of kind 'multiline'")
        if self.box_mm[2] <= 0 or self.box_mm[3] <= 0:
            raise ValueError("box_mm is [x, y, width, height]: width and height are positive")
        return self


class FormLayout(_Strict):
    """A permit type's application form: its pages and where each field sits on them.

    The older single-page spelling ``page_size_mm: [w, h]`` is still read, as one page.
    """

    form_code: str
    title: str
    pages: Annotated[list[FormPage], Field(min_length=1)] = Field(
        default_factory=lambda: [A4_PAGE],
        description="One entry per page of the blank PDF, in order (default: one A4 page).",
    )
    blank_pdf: str | None = Field(
        None,
        description="The office's blank form (a PDF beside form.yaml): the reference every scan "
        "is registered against. Without it scans are read whole, not box by box.",
    )
    blank_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None, description="SHA-256 of blank_pdf, checked when the catalogue loads."
    )
    fields: list[FormField]

    @model_validator(mode="before")
    @classmethod
    def _single_page_size(cls, data: Any) -> Any:
        if isinstance(data, dict) and "page_size_mm" in data:
            if "pages" in data:
                raise ValueError("give pages or the older page_size_mm, not both")
            size = data["page_size_mm"]
            data = {k: v for k, v in data.items() if k != "page_size_mm"}
            data["pages"] = [{"size_mm": size}]
        return data

    @model_validator(mode="after")
    def _blank_has_its_hash(self) -> FormLayout:
        if (self.blank_pdf is None) != (self.blank_sha256 is None):
            raise ValueError("blank_pdf and blank_sha256 are given together (or neither)")
        return self

    def page_size(self, page: int) -> tuple[float, float]:
        """Width and height (mm) of 1-based ``page``."""
        return self.pages[page - 1].size_mm

    def fields_on(self, page: int) -> list[FormField]:
        """The fields placed on 1-based ``page``, in the file's order."""
        return [f for f in self.fields if f.page == page]
