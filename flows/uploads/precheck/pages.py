"""Judging a page image: blank, too dark, too blurred, too small, and whether it bears a red seal.

Plain image measures on a reduced copy of the page (NumPy; OpenCV only to label connected regions):
- blank: almost no ink on the paper (ink = pixels clearly darker than the paper around them);
- dark: even the brightest part of the page is grey;
- blurred: the text's edges are soft (the 99.5th percentile of the Laplacian on the inked paper is low);
- small: too few pixels for 4 mm text to be legible;
- seal: a round-ish region of saturated red ink, of the size of a seal relative to the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

WORK_SIDE = 1000  # the long side the measures are taken at
SMALL_LONG_SIDE = 800  # pixels: below this a page (or card) photo is too small to read
DARK_PAPER = 100  # 0-255: paper never brighter than this is too dark
BLANK_INK = 0.0008  # share of the paper's pixels that are ink, below which the page is blank
SHARP_EDGES = 60.0  # the Laplacian's 99.5th percentile on inked paper, below which text is blurred


@dataclass(frozen=True)
class PageLook:
    blank: bool
    dark: bool
    blurred: bool
    small: bool
    seal: bool


def _work(image: Image.Image) -> Image.Image:
    scale = WORK_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.BILINEAR)
    return image.convert("RGB")


def _sharpness(gray: np.ndarray, ink: np.ndarray) -> float | None:
    """How crisp the text's edges are: a high percentile of the Laplacian next to ink (None: too little ink)."""
    import cv2

    edges = np.abs(cv2.Laplacian(gray, cv2.CV_16S, ksize=1))
    near_ink = cv2.dilate(ink.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    values = edges[near_ink]
    return float(np.percentile(values, 99.5)) if values.size > 200 else None


def look(image: Image.Image, *, seal: bool) -> PageLook:
    """Measure one page image (any size, upright or not)."""
    import cv2

    small = max(image.size) < SMALL_LONG_SIDE
    work = _work(image)
    gray = np.asarray(work.convert("L"), dtype=np.uint8)
    # The paper's own brightness around each pixel: the local maximum, smoothed.
    paper_level = cv2.blur(cv2.dilate(gray, np.ones((9, 9), np.uint8)), (25, 25)).astype(np.int16)
    dark = float(np.percentile(gray, 99)) < DARK_PAPER
    paper = cv2.erode((paper_level > 110).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    ink = ((paper_level - gray.astype(np.int16)) > 50) & paper
    blank = not dark and float(ink.sum()) / max(1, int(paper.sum())) < BLANK_INK
    blurred = False
    if not blank and not dark:
        sharpness = _sharpness(gray, ink)
        blurred = sharpness is not None and sharpness < SHARP_EDGES
    return PageLook(blank=bool(blank), dark=dark, blurred=blurred, small=small,
                    seal=seal and not blank and has_seal(work))


def red_mask(image: Image.Image) -> np.ndarray:
    """Pixels of red seal ink: hue near red, clearly saturated, not black."""
    hsv = np.asarray(image.convert("HSV"), dtype=np.int16)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    rgb = np.asarray(image, dtype=np.int16)
    redder = (rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])) > 40
    return ((hue <= 14) | (hue >= 232)) & (sat >= 70) & (val >= 70) & redder


def has_seal(image: Image.Image) -> bool:
    """Whether the page shows a seal impression: a red, round-ish, seal-sized region away from the edges."""
    import cv2

    work = _work(image)
    mask = red_mask(work).astype(np.uint8) * 255
    if int(mask.sum()) // 255 < 150:
        return False
    joined = cv2.dilate(mask, np.ones((7, 7), np.uint8))  # the rim, the text and the star become one region
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(joined, connectivity=8)
    height, width = mask.shape
    short = min(width, height)
    for index in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[index])
        if x <= 1 or y <= 1 or x + w >= width - 1 or y + h >= height - 1:
            continue  # touches the edge: a red desk or cover, not a seal
        if not (0.05 * short <= max(w, h) <= 0.5 * short) or not (0.6 <= w / h <= 1.6):
            continue
        inked = int(mask[y:y + h, x:x + w].sum()) // 255
        if 0.04 <= inked / (w * h) <= 0.6:
            return True
    return False
