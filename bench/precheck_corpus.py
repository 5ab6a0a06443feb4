"""A generated corpus for the pre-check: the papers of bench/precheck_papers.py put through what happens to
paper on the way to an upload: a 300 dpi scan, a phone photo (perspective, shadow, blur), JPEG at quality
40-90, a slight or a quarter turn, blur, a blank page, a missing seal.

Everything comes from one seed: the corpus is made at bench time, never committed, and no one tuned the
readers to it by hand. `python -m bench.precheck_corpus OUT_DIR` writes a sample to look at.
"""

from __future__ import annotations

import io
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from bench.precheck_papers import (
    blank_page,
    business_licence,
    id_card,
    random_company,
    random_person,
    rules_page,
)

# The variations measured (name → what the paper went through). "blank" pages carry no document.
VARIATIONS = ("scan", "photo", "jpeg", "tilt", "sideways", "blur", "blank", "no_seal")


@dataclass
class Specimen:
    """One generated page and the truth about it."""

    key: str
    document: str  # business_licence | id_card | security_licence | rules | blank
    variation: str
    image: bytes
    file_type: str  # jpeg | png
    truth: dict[str, str] = field(default_factory=dict)  # credit_code, unit_name, id_number, person_name, ...
    sealed: bool = False
    blank: bool = False
    sideways: bool = False


# ------------------------------------------------------------------ what happens to paper
def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """The 8 coefficients PIL's PERSPECTIVE transform needs to map output points `dst` to input points `src`."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for point in src for c in point], dtype=float)
    return [float(c) for c in np.linalg.solve(a, b)]


def phone_photo(rng: random.Random, page: Image.Image) -> Image.Image:
    """The page photographed on a desk: perspective, a darker surround, uneven light and a soft shadow, mild blur."""
    scale = rng.uniform(0.55, 0.75)  # a 12-megapixel phone frames the page at about 200 dpi
    page = page.resize((int(page.width * scale), int(page.height * scale)), Image.Resampling.LANCZOS)
    w, h = page.size
    margin = int(max(w, h) * 0.08)
    canvas_w, canvas_h = w + 2 * margin, h + 2 * margin
    jitter = 0.05 * min(w, h)
    corners = [(margin + rng.uniform(-jitter, jitter), margin + rng.uniform(-jitter, jitter)),
               (margin + w + rng.uniform(-jitter, jitter), margin + rng.uniform(-jitter, jitter)),
               (margin + w + rng.uniform(-jitter, jitter), margin + h + rng.uniform(-jitter, jitter)),
               (margin + rng.uniform(-jitter, jitter), margin + h + rng.uniform(-jitter, jitter))]
    coefficients = _perspective_coefficients([(0, 0), (w, 0), (w, h), (0, h)], corners)
    desk = tuple(rng.randrange(60, 140) for _ in range(3))
    warped = page.transform((canvas_w, canvas_h), Image.Transform.PERSPECTIVE, coefficients,
                            Image.Resampling.BICUBIC, fillcolor=(1, 2, 3))
    mask = Image.new("L", page.size, 255).transform((canvas_w, canvas_h), Image.Transform.PERSPECTIVE, coefficients,
                                                    Image.Resampling.BILINEAR, fillcolor=0)
    photo = Image.new("RGB", (canvas_w, canvas_h), desk)
    photo.paste(warped, (0, 0), mask)
    # Light falls from one side; a hand or phone throws a soft shadow across a corner (drawn small: it is soft).
    small = (max(1, canvas_w // 8), max(1, canvas_h // 8))
    angle, depth = rng.uniform(0, 2 * math.pi), rng.uniform(0.15, 0.3)
    ys, xs = np.mgrid[0:small[1], 0:small[0]]
    ramp = xs / small[0] * math.cos(angle) + ys / small[1] * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp)))
    light = Image.fromarray((255 * (1 - depth * ramp)).astype(np.uint8), "L")
    shadow = Image.new("L", small, 255)
    cx, cy = rng.choice(((0, 0), (small[0], 0), (0, small[1]), small))
    r = rng.uniform(0.25, 0.45) * max(small)
    ImageDraw.Draw(shadow).ellipse((cx - r, cy - r, cx + r, cy + r), fill=rng.randrange(150, 200))
    shadow = shadow.filter(ImageFilter.GaussianBlur(r / 6))
    light = ImageChops.multiply(light, shadow).resize((canvas_w, canvas_h), Image.Resampling.BILINEAR)
    photo = ImageChops.multiply(photo, Image.merge("RGB", (light, light, light)))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
    tint = Image.new("RGB", photo.size, (255, rng.randrange(240, 256), rng.randrange(220, 245)))
    return ImageChops.multiply(photo, tint)


def _scan(image: Image.Image, rng: random.Random) -> Image.Image:
    """A flatbed scan: a tiny skew, a little sensor noise."""
    image = image.rotate(rng.uniform(-0.6, 0.6), resample=Image.Resampling.BICUBIC, expand=False,
                         fillcolor=(255, 255, 255))
    noise = Image.effect_noise((image.width // 2, image.height // 2), 10).resize(image.size).convert("RGB")
    return ImageChops.multiply(image, noise.point(lambda v: 245 + v // 24))


def vary(rng: random.Random, image: Image.Image, variation: str) -> tuple[bytes, str]:
    """The page after what `variation` names; (bytes, file type)."""
    if variation in ("scan", "no_seal", "blank"):
        return _jpeg(_scan(image, rng), 90), "jpeg"
    if variation == "photo":
        return _jpeg(phone_photo(rng, image), rng.randrange(70, 91)), "jpeg"
    if variation == "jpeg":
        return _jpeg(_scan(image, rng).resize((image.width * 2 // 3, image.height * 2 // 3)), rng.randrange(40, 91)), "jpeg"
    if variation == "tilt":
        angle = rng.choice((-1, 1)) * rng.uniform(2.0, 5.0)
        return _jpeg(image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)),
                     85), "jpeg"
    if variation == "sideways":
        turned = image.transpose(rng.choice((Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)))
        return _png(_scan(turned, rng)), "png"
    if variation == "blur":
        return _jpeg(image.filter(ImageFilter.GaussianBlur(rng.uniform(1.2, 2.2))), 85), "jpeg"
    raise ValueError(variation)


# ------------------------------------------------------------------ the corpus
def specimens(seed: int, per_variation: int) -> Iterator[Specimen]:
    """`per_variation` pages of each kind of document for each variation (blank: `per_variation` blank pages)."""
    rng = random.Random(seed)
    for variation in VARIATIONS:
        for n in range(per_variation):
            company, person = random_company(rng), random_person(rng)
            if variation == "blank":
                data, file_type = vary(rng, blank_page(rng), "blank")
                yield Specimen(f"blank-{n}", "blank", variation, data, file_type, blank=True)
                continue
            sealed = variation != "no_seal"
            sideways = variation == "sideways"
            licence = business_licence(rng, company, sealed=sealed)
            data, file_type = vary(rng, licence, variation)
            yield Specimen(f"licence-{variation}-{n}", "business_licence", variation, data, file_type,
                           truth={"credit_code": company.credit_code, "unit_name": company.name},
                           sealed=sealed, sideways=sideways)
            card = id_card(rng, person)
            data, file_type = vary(rng, card, variation if variation != "no_seal" else "scan")
            yield Specimen(f"idcard-{variation}-{n}", "id_card", variation, data, file_type,
                           truth={"id_number": person.id_number, "person_name": person.name}, sideways=sideways)
            page = rules_page(rng, company, sealed=sealed)
            data, file_type = vary(rng, page, variation)
            yield Specimen(f"rules-{variation}-{n}", "rules", variation, data, file_type,
                           truth={"unit_name": company.name}, sealed=sealed, sideways=sideways)


def other(specimen: Specimen, seed: int) -> Specimen:
    """The same page, but the answers it is compared with are another unit's or person's (a mismatch)."""
    rng = random.Random(f"{seed}-{specimen.key}")
    company, person = random_company(rng), random_person(rng)
    answers = {"credit_code": company.credit_code, "unit_name": company.name, "id_number": person.id_number,
               "person_name": person.name}
    return replace(specimen, truth={k: answers[k] for k in specimen.truth})


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "test-artifacts/precheck-corpus")
    out.mkdir(parents=True, exist_ok=True)
    for specimen in specimens(seed=int(argv[1]) if len(argv) > 1 else 17, per_variation=1):
        (out / f"{specimen.key}.{'jpg' if specimen.file_type == 'jpeg' else 'png'}").write_bytes(specimen.image)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
