"""Optical character recognition: zonal reading of known forms, ID card copies, and supporting
documents (classified from their text, fields found by label and value).

Importing this package is cheap; torch and easyocr are imported the first time a reader is needed,
so the web layer and the CLI can use :class:`FieldReading` without loading a neural network.
"""

from __future__ import annotations

from cases.ocr.idcard import read_id_card
from cases.ocr.model_card import ModelCard, checked_model_file, write_model_card
from cases.ocr.reader import ENGINE_VERSION, FieldReading, get_reader
from cases.ocr.supporting import read_supporting_document
from cases.ocr.zonal import read_form

__all__ = [
    "ENGINE_VERSION",
    "FieldReading",
    "ModelCard",
    "checked_model_file",
    "get_reader",
    "read_form",
    "read_id_card",
    "read_supporting_document",
    "write_model_card",
]
