"""The handwriting recogniser: how it is trained, how the shipped one is loaded, and its errors."""

from __future__ import annotations

import json
import random
import shutil
import tomllib
import warnings
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from cases.errors import ModelFileRejected
from cases.ocr import reader
from cases.ocr.crops import find_ink
from cases.ocr.model_card import card_path, checked_model_file, file_sha256
from cases.ocr.reader import (
    CHARACTERS,
    HANDWRITING_MODEL,
    RETRAIN_HANDWRITING,
    _with_recogniser,
    get_handwriting_reader,
    get_reader,
)
from tests.conftest import Invoke
from tools.training import handwriting as training

pytest_plugins = ["tests.ocr_fixtures"]

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ROOT = Path(__file__).resolve().parent.parent


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
    card = json.loads(card_path(out).read_text(encoding="utf-8"))
    assert card["sha256"] == file_sha256(out)
    assert card["settings"]["samples"] == 64
    assert card["command"] == "permits ocr train-handwriting --samples 64 --steps 2"
    tuned = _with_recogniser(get_reader(), out)
    assert _read(tuned, _typed("PERMIT 2026")) == "PERMIT 2026"  # two small steps forget nothing


@pytest.mark.usefixtures("ocr_reader")
def test_the_shipped_handwriting_model_reads_print_too() -> None:
    assert HANDWRITING_MODEL.is_file()
    assert _read(get_handwriting_reader(), _typed("SHOP 11, 1/F")) == "SHOP 11, 1/F"


def test_the_shipped_handwriting_model_is_the_file_its_card_describes() -> None:
    card = checked_model_file(HANDWRITING_MODEL, retrain=RETRAIN_HANDWRITING)
    assert card.name == HANDWRITING_MODEL.stem
    assert card.sha256 == file_sha256(HANDWRITING_MODEL)
    assert card.command.startswith(RETRAIN_HANDWRITING)
    assert card.benchmark is not None
    assert card.benchmark["field_accuracy_by_hand"] == 0.964


def test_the_model_card_ships_with_the_weights_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cases.ocr"]
    for file in (HANDWRITING_MODEL, card_path(HANDWRITING_MODEL)):
        shipped = file.relative_to(ROOT / "cases" / "ocr").as_posix()
        assert any(fnmatch(shipped, pattern) for pattern in patterns), shipped


def _copy_of_the_shipped_model(folder: Path) -> Path:
    weights = folder / HANDWRITING_MODEL.name
    shutil.copyfile(HANDWRITING_MODEL, weights)
    shutil.copyfile(card_path(HANDWRITING_MODEL), card_path(weights))
    return weights


def _refusal(weights: Path) -> str:
    with pytest.raises(ModelFileRejected) as refused:
        _with_recogniser(get_reader(), weights)
    message = str(refused.value)
    assert str(weights) in message
    assert "reinstall the application" in message
    assert "`permits ocr train-handwriting`" in message
    return message


@pytest.mark.usefixtures("ocr_reader")
def test_tampered_handwriting_weights_are_refused_saying_what_to_do(tmp_path: Path) -> None:
    weights = _copy_of_the_shipped_model(tmp_path)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert "is not the file its model card describes" in _refusal(weights)


@pytest.mark.usefixtures("ocr_reader")
def test_weights_without_their_card_are_refused_saying_what_to_do(tmp_path: Path) -> None:
    weights = _copy_of_the_shipped_model(tmp_path)
    card_path(weights).unlink()
    assert "has no model card beside it (handwriting-v1.card.json)" in _refusal(weights)


@pytest.mark.usefixtures("ocr_reader")
def test_the_ocr_worker_refuses_tampered_weights_in_one_line(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    weights = _copy_of_the_shipped_model(tmp_path)
    weights.write_bytes(weights.read_bytes()[:-1])
    monkeypatch.setattr(reader, "HANDWRITING_MODEL", weights)
    monkeypatch.setattr(reader, "_handwriting_reader", None)
    result = cli("worker", "ocr")
    assert result.exit_code == 1
    assert "is not the file its model card describes" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("ocr_reader")
def test_missing_handwriting_weights_say_how_to_get_them(tmp_path: Path) -> None:
    assert "is missing" in _refusal(tmp_path / "absent.pth")


def test_the_training_command_writes_weights_and_a_card_that_match(
    cli: Invoke, tmp_path: Path
) -> None:
    model = tmp_path / "models" / "model.pth"
    result = cli("ocr", "train-handwriting", "--out", str(model), "--samples", "64", "--steps", "1")
    assert result.exit_code == 0, result.output
    card = checked_model_file(model, retrain=RETRAIN_HANDWRITING)
    assert card.sha256 == file_sha256(model)
    assert card.command == "permits ocr train-handwriting --samples 64 --steps 1"
    assert card.run is not None
    assert card.run["steps"] == 1
    assert sorted(path.name for path in model.parent.iterdir()) == ["model.card.json", "model.pth"]


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
    card_path(model).write_text("its card", encoding="utf-8")

    def fails(out: Path, **_: object) -> None:
        out.write_bytes(b"half a model")
        card_path(out).write_text("half a card", encoding="utf-8")
        raise MemoryError("killed half way")

    monkeypatch.setattr(training, "train", fails)
    result = cli("ocr", "train-handwriting", "--out", str(model))
    assert result.exit_code != 0
    assert model.read_bytes() == b"the model in use"
    assert card_path(model).read_text(encoding="utf-8") == "its card"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.card.json", "model.pth"]
