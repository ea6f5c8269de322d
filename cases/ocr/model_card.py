"""Model cards: a trained model's weights are data, described by a card that sits beside them.

``handwriting-v1.pth`` ships with ``handwriting-v1.card.json``: what the model was trained on,
the command and settings that made it, its benchmark, and the sha256 of the weights. The weights
are loaded only when they are the file the card describes, so a file damaged on disk or swapped
by hand is refused with a message saying what to do, instead of reading forms with weights nobody
measured. ``permits ocr train-handwriting`` writes the card with the weights.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cases.errors import ModelFileRejected

__all__ = ["ModelCard", "card_path", "checked_model_file", "file_sha256", "write_model_card"]


class ModelCard(BaseModel):
    """What a model file is and how it came to be; ``sha256`` ties the card to its weights."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="The model and its version: the weights file's name, no suffix.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the weights file.")
    size_bytes: int = Field(ge=0, description="Size of the weights file.")
    trained_at: dt.date = Field(description="The day the weights were written.")
    base: str = Field(description="The weights training started from.")
    trained_on: str = Field(description="What the training data is, and what it never includes.")
    fonts: list[str] = Field(description="The font packages the training lines are written in.")
    command: str = Field(description="The command that trains this model again.")
    settings: dict[str, int | float] = Field(description="Every setting of the training run.")
    run: dict[str, int | float] | None = Field(
        None, description="What the run reported (lines, steps, final loss, seconds)."
    )
    benchmark: dict[str, Any] | None = Field(
        None, description="Measured with `permits bench ocr`; None until someone measures it."
    )


def card_path(weights: Path) -> Path:
    """The card beside ``weights``: ``handwriting-v1.pth`` -> ``handwriting-v1.card.json``."""
    return weights.with_suffix(".card.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_card(weights: Path, **details: Any) -> ModelCard:
    """Describe ``weights`` in the card beside them; their sha256 and size come from the file."""
    card = ModelCard(
        name=weights.stem,
        sha256=file_sha256(weights),
        size_bytes=weights.stat().st_size,
        **details,
    )
    target = card_path(weights)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".card-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(card.model_dump_json(indent=2) + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return card


def checked_model_file(weights: Path, *, retrain: str) -> ModelCard:
    """The card of ``weights``, once the file is there and is the one its card describes.

    ``retrain`` is the command that makes the model again, named in the refusal.
    """
    card_file = card_path(weights)
    if not weights.is_file():
        raise ModelFileRejected(weights, "is missing", retrain)
    if not card_file.is_file():
        raise ModelFileRejected(weights, f"has no model card beside it ({card_file.name})", retrain)
    try:
        card = ModelCard.model_validate_json(card_file.read_bytes())
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the file"
        raise ModelFileRejected(
            weights, f"has a model card that cannot be read ({where}: {problem['msg']})", retrain
        ) from None
    actual = file_sha256(weights)
    if actual != card.sha256:
        raise ModelFileRejected(
            weights,
            f"is not the file its model card describes (its sha256 is {actual}, the card's "
            f"{card.sha256}): it was changed or damaged",
            retrain,
        )
    return card
