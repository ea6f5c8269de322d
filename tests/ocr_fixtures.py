"""Session fixtures for OCR tests: one easyocr reader, the food business form, blank and labels.

Test modules load them with ``pytest_plugins = ["tests.ocr_fixtures"]``: the reader takes seconds
to build, so every OCR test in the session shares the process's one reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cases.catalogue import FormLayout, Permit
from cases.ocr import get_reader

FOOD_LICENCE = Path(__file__).resolve().parent.parent / "rules" / "food-business-licence"


@pytest.fixture(scope="session")
def ocr_reader() -> object:
    return get_reader()


@pytest.fixture(scope="session")
def food_form() -> FormLayout:
    return FormLayout.model_validate(yaml.safe_load((FOOD_LICENCE / "form.yaml").read_text()))


@pytest.fixture(scope="session")
def food_blank() -> Path:
    """The food licence's blank form, the reference its scans are registered against."""
    return FOOD_LICENCE / "form.pdf"


@pytest.fixture(scope="session")
def food_permit() -> Permit:
    return Permit.model_validate(yaml.safe_load((FOOD_LICENCE / "permit.yaml").read_text()))


@pytest.fixture(scope="session")
def food_labels(food_permit: Permit) -> dict[str, str]:
    return {spec.name: spec.label.en for spec in food_permit.fields}
