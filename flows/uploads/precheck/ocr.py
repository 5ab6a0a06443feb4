"""Recognising text on a page image with PP-OCR (the `rapidocr-onnxruntime` wheel, which ships its models).

Nothing is downloaded: the three ONNX models (detection, direction, recognition) are inside the wheel and
are loaded from there once per process. The pipeline is RapidOCR's own parts, called one by one so that
the direction classifier's votes are kept: a page turned by 90° (or upside down) is recognised as it is,
then its boxes are turned upright, so rows, labels and "where on the page" read as on the paper.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageOps

from flows.uploads.precheck.fields import Box, Piece

# Pages are recognised at most this many pixels on the long side (an A4 page at about 135 dpi: 4 mm text
# is still 20 px high) and text is detected on at most DET_SIDE pixels: the two costs of a page.
MAX_SIDE = 1600
DET_SIDE = 800
MIN_SCORE = 0.5
ORIENT_SIDE = 640  # a page looked at only for its direction (its lines, not their text) is this small
BATCH = 8  # lines recognised at a time before checking whether the values wanted are found

Enough = Callable[[tuple[Piece, ...]], bool]


@dataclass(frozen=True)
class Recognised:
    """The text of one page, turned upright: pieces with boxes in the upright page's pixels."""

    pieces: tuple[Piece, ...]
    width: int
    height: int
    turned: int  # degrees the page was turned to read it upright (0, 90, 180, 270; counter-clockwise)
    upright: Image.Image  # the page as read, turned upright (for a second look at one piece)


class Engine(Protocol):
    name: str

    def recognise(self, image: Image.Image, *, enough: Enough | None = None, read: bool = True) -> Recognised: ...

    def reread(self, image: Image.Image, box: Box) -> list[tuple[str, float]]: ...


def _bgr(image: Image.Image) -> Any:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def _turned_points(points: Any, turned: int, width: float, height: float) -> Any:
    """`points` (in the image as given, `width` × `height`) in the page turned upright."""
    xs, ys = points[..., 0], points[..., 1]
    if turned == 90:  # turned counter-clockwise: (x, y) → (y, W - x)
        xs, ys = ys, width - xs
    elif turned == 270:  # clockwise: (x, y) → (H - y, x)
        xs, ys = height - ys, xs
    elif turned == 180:
        xs, ys = width - xs, height - ys
    return np.stack([xs, ys], axis=-1)


def _deskewed(quads: Any, width: float, height: float) -> Any:
    """The quads turned by the page's skew (the median slant of the wide boxes' top edges), so that a
    slightly tilted photo still has its labels and values on one line."""
    top = quads[:, 1] - quads[:, 0]
    side = quads[:, 3] - quads[:, 0]
    wide = np.hypot(top[:, 0], top[:, 1]) > 2 * np.hypot(side[:, 0], side[:, 1])
    if wide.sum() < 3:
        return quads
    angle = float(np.median(np.arctan2(top[wide, 1], top[wide, 0])))
    if abs(angle) < 0.005:
        return quads
    cos, sin = np.cos(-angle), np.sin(-angle)
    cx, cy = width / 2, height / 2
    x, y = quads[..., 0] - cx, quads[..., 1] - cy
    return np.stack([x * cos - y * sin + cx, x * sin + y * cos + cy], axis=-1)


_TURN = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}


class RapidEngine:
    """PP-OCRv4 through ONNX Runtime, one thread (the other core stays with the web app)."""

    name = "PP-OCRv4 (rapidocr-onnxruntime 1.4.4)"

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._ocr: Any = None
        self._lock = threading.Lock()

    def _engine(self) -> Any:
        with self._lock:
            if self._ocr is None:
                import cv2
                from rapidocr_onnxruntime import RapidOCR

                cv2.setNumThreads(self._threads)  # OpenCV's own pool would take every core (OMP_NUM_THREADS is not its)

                self._ocr = RapidOCR(max_side_len=MAX_SIDE, det_limit_side_len=DET_SIDE, det_limit_type="max",
                                     intra_op_num_threads=self._threads, inter_op_num_threads=1,
                                     text_score=MIN_SCORE)
            return self._ocr

    def warm(self) -> None:
        """Load the models now (about half a second) rather than with the first page."""
        self._engine()

    def recognise(self, image: Image.Image, *, enough: Enough | None = None, read: bool = True) -> Recognised:
        """The page's text, upright. Lines are read top to bottom in batches; `enough(pieces so far)` True
        stops early (the values wanted are found). `read=False`: only find the lines and the page's
        direction (a page looked at for its seal)."""
        ocr = self._engine()
        scale = min(1.0, (MAX_SIDE if read else ORIENT_SIDE) / max(image.size))
        if scale < 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR,
                                 reducing_gap=2.0)
        img = _bgr(image)
        height, width = img.shape[:2]
        boxes, _elapsed = ocr.text_det(img)
        if boxes is None or len(boxes) == 0:
            return Recognised((), width, height, 0, image)
        crops = ocr.get_crop_img_list(img, boxes)
        crops, votes, _ = ocr.text_cls(crops)
        turned = _turn_from(boxes, votes)
        upright = image.transpose(_TURN[turned]) if turned else image
        quads = _deskewed(_turned_points(np.asarray(boxes, dtype=np.float64), turned, width, height),
                          upright.width, upright.height)
        if not read:
            return Recognised((), upright.width, upright.height, turned, upright)
        line = max(8.0, float(np.median(quads[:, 3, 1] - quads[:, 0, 1])))
        order = sorted(range(len(quads)), key=lambda i: (round(float(quads[i][:, 1].mean()) / line), quads[i][0, 0]))
        pieces: list[Piece] = []
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            texts, _ = ocr.text_rec([crops[i] for i in batch], False)
            for index, (text, score) in zip(batch, texts, strict=True):
                if float(score) < MIN_SCORE or not str(text).strip():
                    continue
                quad = quads[index]
                box = (float(quad[:, 0].min()), float(quad[:, 1].min()), float(quad[:, 0].max()),
                       float(quad[:, 1].max()))
                pieces.append(Piece(text=str(text), box=box, score=float(score)))
            if enough is not None and enough(tuple(pieces)):
                break
        return Recognised(tuple(pieces), upright.width, upright.height, turned, upright)

    def reread(self, image: Image.Image, box: Box) -> list[tuple[str, float]]:
        """One piece recognised again from its crop, enlarged and with its contrast stretched: a second
        opinion when the first reading fails its check characters."""
        ocr = self._engine()
        pad = 0.25 * (box[3] - box[1])
        crop = image.crop((max(0, box[0] - pad), max(0, box[1] - pad), min(image.width, box[2] + pad),
                           min(image.height, box[3] + pad)))
        variants = [crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.LANCZOS),
                    ImageOps.autocontrast(crop.convert("L"), cutoff=2).convert("RGB"),
                    crop.resize((crop.width * 3 // 2, crop.height * 3 // 2), Image.Resampling.BICUBIC)]
        texts, _ = ocr.text_rec([_bgr(v) for v in variants], False)
        return [(str(text), float(score)) for text, score in texts]


def _turn_from(boxes: Any, votes: list[list[Any]]) -> int:
    """How the page lies, from the boxes' shapes and the direction classifier's votes.

    Tall boxes mean lines running down the page: turned by 90°. RapidOCR turns a tall crop
    counter-clockwise before reading it, and the classifier says whether the result was upside down,
    which tells which way the page was turned."""
    tall = flipped_tall = wide = flipped_wide = 0
    for points, (label, score) in zip(boxes, votes, strict=True):
        points = np.asarray(points)
        w = max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3]))
        h = max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2]))
        flipped = "180" in str(label) and float(score) > 0.9
        if h >= 1.5 * w:
            tall += 1
            flipped_tall += flipped
        elif w >= 1.5 * h:
            wide += 1
            flipped_wide += flipped
    if tall > wide:
        # A tall crop turned counter-clockwise reads upright: the page lies turned clockwise, and turning it
        # counter-clockwise (90) sets it upright; crops upside down after that mean the other way (270).
        return 270 if flipped_tall > tall / 2 else 90
    if wide and flipped_wide > wide / 2:
        return 180
    return 0
