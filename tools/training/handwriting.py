"""Fine-tune easyocr's English recogniser on block capitals written by hand: the handwriting model.

easyocr's recogniser learnt from print. On the forms' handwriting it reads a pen's ``1`` as ``4``
or ``11`` as ``9``, ``J`` as ``T`` and ``G`` as ``6``, with confidences no lower than its right
readings. This module makes training lines the way a scanned form's field reaches the recogniser
(written, scanned, cropped to the ink by the same ``find_ink``) and fine-tunes the recogniser on
them with CTC loss, starting from easyocr's own weights.

The lines are written in the handwriting fonts Debian packages (``TRAINING_FONTS``), never in the
font the benchmark and the sample cases are written in (Humor Sans), so the benchmark measures
handwriting the model has not seen. Text is random: letters, syllables, numbers, dates, codes and
address-shaped lines, not the sample cases' values.

    permits ocr train-handwriting        # ~11 minutes on 2 CPU cores; writes HANDWRITING_MODEL
                                         # and its model card
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import random
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from cases.ocr.crops import find_ink
from cases.ocr.model_card import file_sha256, write_model_card
from cases.ocr.reader import RECOGNISER_NETWORK, RETRAIN_HANDWRITING

__all__ = ["FONT_PACKAGES", "TRAINING_FONTS", "TrainingRun", "sample_line", "sample_text", "train"]

Gray = NDArray[np.uint8]

#: Debian package -> its handwriting font files (block capitals, digits and punctuation).
FONT_PACKAGES: dict[str, tuple[str, ...]] = {
    "fonts-bwht": tuple(
        f"/usr/share/fonts/opentype/bwht/BecauseWe{name}-Regular.otf"
        for name in ("Build", "Connect", "Create", "Learn", "Mentor", "Organize")
    ),
    "fonts-dkg-handwriting": (
        "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf",
    ),
    "fonts-breip": (
        "/usr/share/fonts/truetype/breip/Breip.ttf",
        "/usr/share/fonts/truetype/breip/breipfont.ttf",
    ),
    "fonts-femkeklaver": ("/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",),
    "fonts-comic-neue": tuple(
        f"/usr/share/fonts/opentype/comic-neue/ComicNeue-{weight}.otf"
        for weight in ("Regular", "Bold", "Light")
    ),
    "fonts-sjfonts": (
        "/usr/share/fonts/truetype/sjfonts/Delphine.ttf",
        "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
    ),
    "fonts-rufscript": ("/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",),
    "fonts-yusei-magic": ("/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf",),
    "fonts-klee": (
        "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
        "/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf",
    ),
}
TRAINING_FONTS = tuple(path for paths in FONT_PACKAGES.values() for path in paths)
#: A little print keeps the model reading what it read before (a form filled in half by hand).
_PRINT_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)
_PRINT_SHARE = 0.08
_PRINT_PACKAGE = "fonts-dejavu-core"
#: What a model card says the training lines are.
TRAINED_ON = (
    "Generated lines of random block capitals, numbers, dates, codes and address-shaped text, "
    "written one character at a time in the handwriting fonts of the Debian packages listed "
    f"(and {_PRINT_SHARE:.0%} in print), scanned at 150-300 dpi with skew, blur, noise and JPEG, "
    "and cropped to their ink as a form field is. Never Humor Sans (the benchmark's and the "
    "sample cases' handwriting), never the benchmark's or the sample cases' values."
)
_MODEL_HEIGHT = 64  # easyocr's recogniser reads lines 64 pixels high
_MAX_WIDTH = 1600  # longer training lines are dropped: a form's longest field is ~1000 pixels
_CONSONANTS = "BCDFGHJKLMNPRSTVWYZ"
_PUNCTUATION = ",./-'()&"
_STREETS = ("ROAD", "STREET", "AVENUE", "LANE", "PATH")
_UNITS = ("SHOP", "FLAT", "ROOM", "UNIT")


@dataclass(frozen=True)
class TrainingRun:
    """What a run did, for the model card beside the weights and the log."""

    samples: int
    steps: int
    final_loss: float
    seconds: float


def sample_text(rng: random.Random) -> str:
    """One field's worth of random block capitals: words, numbers, an address, a code or a mix."""
    kind = rng.random()
    if kind < 0.35:
        return " ".join(_word(rng) for _ in range(rng.randint(1, 4)))
    if kind < 0.55:
        return _number(rng)
    if kind < 0.75:
        return _address(rng)
    if kind < 0.9:
        return _code(rng)
    items = [
        rng.choice([_word(rng), _number(rng), rng.choice(_PUNCTUATION)])
        for _ in range(rng.randint(1, 5))
    ]
    return " ".join(items).strip() or "A"


def _word(rng: random.Random) -> str:
    if rng.random() < 0.4:  # any letters, so every letter is seen next to every other
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(1, 9)))
    syllables = (
        rng.choice(_CONSONANTS)
        + rng.choice("AEIOU")
        + (rng.choice("NG ") if rng.random() < 0.3 else "")
        for _ in range(rng.randint(1, 3))
    )
    return "".join(syllables).replace(" ", "")


def _number(rng: random.Random) -> str:
    """Short counts most often: a pen's "1" and "11" are what print-trained recognisers miss."""
    shape = rng.random()
    if shape < 0.3:
        return str(rng.randint(0, 99))
    if shape < 0.5:
        return str(rng.randint(100, 99999))
    if shape < 0.7:
        return f"{rng.randint(0, 999)}.{rng.randint(0, 99)}"
    if shape < 0.8:
        return f"{rng.randint(1, 31)}/{rng.randint(1, 12)}/{rng.randint(1990, 2030)}"
    if shape < 0.9:
        return f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}"
    return "".join(rng.choice(string.digits) for _ in range(rng.randint(4, 10)))


def _address(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.5:
        unit = rng.choice(_UNITS)
        parts.append(
            f"{unit} {rng.choice([str(rng.randint(1, 40)), rng.choice(string.ascii_uppercase)])}"
        )
    if rng.random() < 0.7:
        parts.append(f"{rng.choice(['G', str(rng.randint(1, 30))])}/F")
    parts.append(f"{rng.randint(1, 999)} {_word(rng)} {rng.choice(_STREETS)}")
    if rng.random() < 0.5:
        parts.append(_word(rng))
    return ", ".join(parts) if rng.random() < 0.8 else " ".join(parts)


def _code(rng: random.Random) -> str:
    if rng.random() < 0.5:
        prefix = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(1, 4)))
        return f"{prefix}-{rng.randint(1990, 2030)}-{rng.randint(0, 99999):05d}"
    letter = rng.choice(string.ascii_uppercase)
    return f"{letter}{rng.randint(0, 999999):06d}({rng.choice(string.digits + 'A')})"


def sample_line(text: str, rng: random.Random) -> Gray | None:
    """``text`` written by hand, scanned and cropped as a form field's ink is; None if blank.

    Each character is placed on its own, a little larger or smaller, higher or lower and turned,
    the pen's stroke is thicker or thinner, and the line is turned, blurred, noised and
    JPEG-compressed as the benchmark's scans are (150-300 dpi: 24-60 pixel letters).
    """
    fonts = _PRINT_FONTS if rng.random() < _PRINT_SHARE else TRAINING_FONTS
    layer = _written(text, rng.choice(fonts), rng.randint(24, 60), rng)
    paper, ink = rng.randint(195, 250), rng.randint(10, 90)
    image = Image.new("L", layer.size, paper)
    image.paste(Image.new("L", layer.size, ink), (0, 0), layer)
    image = image.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BILINEAR, fillcolor=paper)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    noise = np.random.default_rng(rng.randrange(2**32)).normal(
        0, rng.uniform(2, 8), image.size[::-1]
    )
    noisy = np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, format="JPEG", quality=rng.randint(35, 90))
    with Image.open(buffer) as scanned:
        gray = np.asarray(scanned.convert("L"), dtype=np.uint8)
    box = find_ink(gray)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    line = gray[y0:y1, x0:x1]
    if rng.random() < 0.3:  # narrower or wider writing (and the second reading, at 3/4 width)
        factor = rng.uniform(0.7, 1.2)
        squeezed = cv2.resize(line, None, fx=factor, fy=1.0, interpolation=cv2.INTER_AREA)
        line = np.asarray(squeezed, dtype=np.uint8)
    return line


def _written(text: str, font_path: str, size: int, rng: random.Random) -> Image.Image:
    """The ink of ``text`` as a mask, one character at a time."""
    width, height = int(size * (len(text) + 2) * 1.4) + 40, int(size * 2.6)
    layer = Image.new("L", (width, height), 0)
    x, spacing, slant = size * 0.5, rng.uniform(0.9, 1.25), rng.uniform(-5, 5)
    for char in text:
        font_size = max(8, int(size * rng.uniform(0.92, 1.08)))
        font = _font(font_path, font_size)
        advance = font.getlength(char)
        if char != " ":
            glyph = Image.new("L", (int(advance + font_size), font_size * 2), 0)
            ImageDraw.Draw(glyph).text((font_size // 2, font_size // 2), char, 255, font)
            glyph = glyph.rotate(slant + rng.uniform(-4, 4), resample=Image.Resampling.BILINEAR)
            top = int(height / 2 - font_size + rng.uniform(-0.05, 0.05) * size)
            layer.paste(255, (int(x - font_size // 2), top), glyph)
        x += advance * spacing + rng.uniform(-0.03, 0.06) * size
    weight = rng.random()
    if weight < 0.2:
        layer = layer.filter(ImageFilter.MaxFilter(3))
    elif weight < 0.3 and size > 36:
        layer = layer.filter(ImageFilter.MinFilter(3))
    return layer


_FONTS: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    if (path, size) not in _FONTS:
        _FONTS[path, size] = ImageFont.truetype(path, size)
    return _FONTS[path, size]


def model_input(line: Gray) -> Gray:
    """The line as easyocr hands it to the recogniser (``get_image_list``, then ``AlignCollate``):
    64 pixels high, its shape kept."""
    from easyocr.utils import compute_ratio_and_resize

    height, width = line.shape
    resized, _ = compute_ratio_and_resize(line, width, height, _MODEL_HEIGHT)
    height, width = resized.shape
    if height != _MODEL_HEIGHT:  # a line narrower than it is high
        size = (max(1, math.ceil(_MODEL_HEIGHT * width / height)), _MODEL_HEIGHT)
        resized = np.asarray(Image.fromarray(resized).resize(size, Image.Resampling.BICUBIC))
    return np.asarray(resized, dtype=np.uint8)


def make_samples(count: int, seed: int) -> list[tuple[Gray, str]]:
    """``count`` (model input, text) pairs, the same for the same seed, narrowest first."""
    rng = random.Random(seed)
    samples: list[tuple[Gray, str]] = []
    while len(samples) < count:
        text = sample_text(rng).strip()
        line = sample_line(text, rng) if text else None
        if line is not None and line.shape[1] >= 8:
            prepared = model_input(line)
            if prepared.shape[1] <= _MAX_WIDTH:
                samples.append((prepared, text))
    return sorted(samples, key=lambda sample: sample[0].shape[1])  # batches of like widths


def train(
    out: Path,
    *,
    base: Path,
    samples: int = 9600,
    steps: int = 300,
    batch: int = 32,
    learning_rate: float = 1e-4,
    seed: int = 7,
    order_seed: int = 3,
    log: Callable[[str], None] = print,
    steps_done: Callable[[str, int, int | None], None] | None = None,
) -> TrainingRun:
    """Fine-tune the recogniser in ``base`` (easyocr's weights) and write it to ``out``, with
    its model card beside it (``cases.ocr.model_card``).

    The whole network is tuned (the letters' shapes are learnt in the convolutional layers) but
    batch normalisation keeps easyocr's statistics: batches of 32 are too few to re-estimate them.
    One-cycle learning rate, CTC loss, gradients clipped at 5. Weights are stored in half
    precision with easyocr's key names, so ``easyocr.recognition.get_recognizer`` loads them.
    """
    import torch
    from easyocr.model.vgg_model import Model
    from easyocr.recognition import NormalizePAD
    from easyocr.utils import CTCLabelConverter

    from cases.ocr.reader import CHARACTERS

    started = time.perf_counter()
    torch.manual_seed(seed)
    data = make_samples(samples, seed)
    log(f"{len(data)} training lines made in {time.perf_counter() - started:.0f} s")
    converter = CTCLabelConverter(CHARACTERS, {}, {})
    model = Model(num_class=len(CHARACTERS) + 1, **RECOGNISER_NETWORK)
    state = torch.load(base, map_location="cpu", weights_only=True)
    model.load_state_dict({key.removeprefix("module."): value for key, value in state.items()})
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=learning_rate, total_steps=steps, pct_start=0.1
    )
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    rng = random.Random(order_seed)  # which batch comes next (the lines come from ``seed``)
    loss_average = 0.0
    for step in range(steps):
        first = rng.randrange(len(data) // batch) * batch
        images, texts = zip(*data[first : first + batch], strict=True)
        pad = NormalizePAD((1, _MODEL_HEIGHT, max(image.shape[1] for image in images)))
        inputs = torch.stack([pad(Image.fromarray(image, "L")) for image in images])
        targets, lengths = converter.encode(list(texts))
        predictions = model(inputs, None).log_softmax(2)
        frames = torch.full((len(texts),), predictions.size(1), dtype=torch.int32)
        loss = ctc(predictions.permute(1, 0, 2), targets, frames, lengths)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        schedule.step()
        loss_average = loss.item() if step == 0 else 0.98 * loss_average + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps}: loss {loss_average:.3f}")
        if steps_done:
            steps_done("training steps", step + 1, steps)
    out.parent.mkdir(parents=True, exist_ok=True)
    weights = {
        f"module.{key}": value.half() if value.is_floating_point() else value
        for key, value in model.state_dict().items()
    }
    torch.save(weights, out)
    run = TrainingRun(len(data), steps, round(loss_average, 4), time.perf_counter() - started)
    settings = {
        "samples": samples,
        "steps": steps,
        "batch": batch,
        "learning_rate": learning_rate,
        "seed": seed,
        "order_seed": order_seed,
    }
    _write_card(out, base, settings, run)
    return run


def _write_card(out: Path, base: Path, settings: dict[str, int | float], run: TrainingRun) -> None:
    """The model card beside the weights: how to make them again, and their sha256."""
    write_model_card(
        out,
        trained_at=dt.date.today(),
        base=f"{base.name}, easyocr's English recogniser (sha256 {file_sha256(base)})",
        trained_on=TRAINED_ON,
        fonts=[*FONT_PACKAGES, _PRINT_PACKAGE],
        command=f"{RETRAIN_HANDWRITING} --samples {run.samples} --steps {run.steps}",
        settings=settings,
        run=dataclasses.asdict(run),
    )


def missing_fonts() -> list[str]:
    """The Debian packages whose training fonts are not installed."""
    return [
        package
        for package, paths in FONT_PACKAGES.items()
        if not all(Path(path).is_file() for path in paths)
    ]
