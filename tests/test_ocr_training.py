"""The handwriting recogniser: how it is trained, how the shipped one is loaded, and its errors."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from cases.ocr.reader import (
    CHARACTERS,
    HANDWRITING_MODEL,
    _with_recogniser,
    get_handwriting_reader,
    get_reader,
)
from cases.ocr.zonal import find_ink
from tests.conftest import Invoke
from tools.training import handwriting as training

pytest_plugins = ["tests.ocr_fixtures"]

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_training_text_is_block_capitals_the_recogniser_can_write() -> None:
    rng = random.Random(1)
    texts = [training.sample_text(rng) for _ in range(2000)]
    assert all(text.strip() for text in texts)
    assert all(set(text) <= set(CHARACTERS) for text in texts)
    assert not any(ch.islower() for text in texts for ch in text)
    written = "".join(texts)
    assert set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ/,.-()") <= set(written)


def test_the_training_fonts_are_never_the_benchmarks_handwriting() -> None:
    from tools.samples.applications import font_path

    assert str(font_path("handwriting")) not in training.TRAINING_FONTS
    assert not any("humor" in path.lower() for path in training.TRAINING_FONTS)
    assert training.missing_fonts() == []  # scripts/install-system-packages installs them


def test_a_training_line_is_cropped_to_its_ink_as_a_form_field_is() -> None:
    rng = random.Random(2)
    for _ in range(20):
        line = training.sample_line("SHOP 11, 1/F", rng)
        assert line is not None
        assert 15 <= line.shape[0] <= 140  # 24-60 pixel letters, 150-300 dpi
        box = find_ink(line)
        assert box is not None
        assert training.model_input(line).shape[0] == 64


def _typed(text: str) -> np.ndarray:
    image = Image.new("L", (40 + 24 * len(text), 60), 245)
    ImageDraw.Draw(image).text((12, 12), text, 20, ImageFont.truetype(DEJAVU, 32))
    pixels = np.asarray(image, dtype=np.uint8)
    box = find_ink(pixels)
    assert box is not None
    return pixels[box[1] : box[3], box[0] : box[2]]


def _read(reader: object, line: np.ndarray) -> str:
    h, w = line.shape
    with warnings.catch_warnings():  # as cases.ocr.reader.inference does: torch's CPU notice
        warnings.filterwarnings("ignore", message=".*'pin_memory' argument", category=UserWarning)
        result = reader.recognize(line, horizontal_list=[[0, w, 0, h]], free_list=[])  # type: ignore[attr-defined]
    return str(result[0][1])


@pytest.mark.usefixtures("ocr_reader")
def test_trained_weights_are_written_whole_and_read_like_easyocrs(tmp_path: Path) -> None:
    import easyocr_en_models
    import torch

    out = tmp_path / "handwriting-test.pth"
    base = Path(easyocr_en_models.model_dir()) / "english_g2.pth"
    run = training.train(out, base=base, samples=64, steps=2, log=lambda _: None)
    assert (run.samples, run.steps) == (64, 2)
    weights = torch.load(out, weights_only=True)
    assert all(key.startswith("module.") for key in weights)
    assert weights["module.Prediction.weight"].dtype == torch.float16  # half the size on disk
    tuned = _with_recogniser(get_reader(), out)
    assert _read(tuned, _typed("PERMIT 2026")) == "PERMIT 2026"  # two small steps forget nothing


@pytest.mark.usefixtures("ocr_reader")
def test_the_shipped_handwriting_model_reads_print_too() -> None:
    assert HANDWRITING_MODEL.is_file()
    assert _read(get_handwriting_reader(), _typed("SHOP 11, 1/F")) == "SHOP 11, 1/F"


@pytest.mark.usefixtures("ocr_reader")
def test_missing_handwriting_weights_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="permits ocr train-handwriting"):
        _with_recogniser(get_reader(), tmp_path / "absent.pth")


def test_training_without_the_fonts_names_the_packages_to_install(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(training, "FONT_PACKAGES", {"fonts-bwht": ("/nowhere/font.otf",)})
    result = cli("ocr", "train-handwriting", "--out", str(tmp_path / "model.pth"))
    assert result.exit_code == 1
    assert "apt-get install fonts-bwht" in result.output
    assert not (tmp_path / "model.pth").exists()


def test_a_training_run_that_fails_leaves_the_model_in_use_whole(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = tmp_path / "model.pth"
    model.write_bytes(b"the model in use")

    def fails(out: Path, **_: object) -> None:
        out.write_bytes(b"half a model")
        raise MemoryError("killed half way")

    monkeypatch.setattr(training, "train", fails)
    result = cli("ocr", "train-handwriting", "--out", str(model))
    assert result.exit_code != 0
    assert model.read_bytes() == b"the model in use"
