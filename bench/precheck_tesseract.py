"""Tesseract 5 with Debian's chi_sim data, behind the pre-check's engine interface: the other engine
`make bench` measures (the product ships PP-OCR; see README, 智能预审).

pytesseract runs the `tesseract` program once per page (it loads the language data each time, as any
caller of the command line does). Words come back one by one; words of one line closer than two
character heights are joined into one piece, as PP-OCR's detector would box them.
"""

from __future__ import annotations

import shutil
from typing import Any

from PIL import Image

from flows.uploads.precheck.fields import Box, Piece
from flows.uploads.precheck.ocr import Enough, Recognised

MAX_SIDE = 2480  # an A4 page at 300 dpi: Tesseract's own sweet spot


def available() -> bool:
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        return "chi_sim" in pytesseract.get_languages(config="")
    except Exception:  # noqa: BLE001 - a broken install counts as missing
        return False


class TesseractEngine:
    name = "Tesseract 5 chi_sim (Debian)"

    def recognise(self, image: Image.Image, *, enough: Enough | None = None, read: bool = True) -> Recognised:
        import pytesseract

        scale = min(1.0, MAX_SIDE / max(image.size))
        if scale < 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        data: dict[str, list[Any]] = pytesseract.image_to_data(image, lang="chi_sim", config="--psm 3",
                                                               output_type=pytesseract.Output.DICT)
        lines: dict[tuple[int, int, int], list[tuple[str, Box, float]]] = {}
        for i, text in enumerate(data["text"]):
            if not str(text).strip() or float(data["conf"][i]) < 0:
                continue
            x, y, w, h = (float(data[k][i]) for k in ("left", "top", "width", "height"))
            key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
            lines.setdefault(key, []).append((str(text).strip(), (x, y, x + w, y + h), float(data["conf"][i]) / 100))
        pieces: list[Piece] = []
        for words in lines.values():
            words.sort(key=lambda word: word[1][0])
            height = max(1.0, sorted(b[3] - b[1] for _, b, _ in words)[len(words) // 2])
            current: list[tuple[str, Box, float]] = []
            for word in words:
                if current and word[1][0] - current[-1][1][2] > 2 * height:
                    pieces.append(_joined(current))
                    current = []
                current.append(word)
            if current:
                pieces.append(_joined(current))
        return Recognised(tuple(pieces), image.width, image.height, 0, image)

    def reread(self, image: Image.Image, box: Box) -> list[tuple[str, float]]:
        return []


def _joined(words: list[tuple[str, Box, float]]) -> Piece:
    box = (min(b[0] for _, b, _ in words), min(b[1] for _, b, _ in words), max(b[2] for _, b, _ in words),
           max(b[3] for _, b, _ in words))
    return Piece("".join(t for t, _, _ in words), box, min(s for _, _, s in words))
