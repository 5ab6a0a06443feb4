"""Reading one uploaded file: a text PDF by its text (pypdf), pictures and scanned pages by OCR.

Runs inside the limited child process (flows.uploads.precheck.limited): the bytes are an applicant's, so they
are opened as strictly as the upload check opens them, and a page too large is refused, not decoded.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace

from PIL import Image, ImageOps
from pypdf import PdfReader

from flows.filing.schema import ReadField
from flows.uploads.precheck.fields import PageText, Piece, find_values, looks_like, normalise, where_on_page
from flows.uploads.precheck.ocr import Engine
from flows.uploads.precheck.pages import look
from flows.uploads.precheck.reading import PageCheck, Reading, ReadRequest, ReadValue

MAX_PIXELS = 40_000_000  # as flows.uploads.checks: larger pictures are refused before being decoded
RENDER_DPI = 200  # scanned PDF pages are rendered at this resolution for OCR
LOOK_DPI = 100  # pages read by their text are rendered at this resolution to look for a seal
TEXT_PAGE_CHARS = 20  # a PDF page with fewer characters of text is taken as a scan
OCR_PAGES = 4  # pages recognised at most when looking for values
OCR_SIDE = 1600  # as flows.uploads.precheck.ocr.MAX_SIDE: the long side pages are recognised at
_IDENTIFIERS = (ReadField.CREDIT_CODE, ReadField.ID_NUMBER)


def _open_image(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise ValueError("image too large")
            # A JPEG is decoded at a half or a quarter of its size when that still leaves OCR_SIDE pixels:
            # far quicker than decoding it whole and shrinking it afterwards.
            shrink = OCR_SIDE / max(opened.size)
            if shrink < 0.5:
                opened.draft("RGB", (max(1, round(opened.width * shrink)), max(1, round(opened.height * shrink))))
            return ImageOps.exif_transpose(opened).convert("RGB")


def _render(data: bytes, index: int, dpi: int) -> Image.Image:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = min(dpi / 72, (MAX_PIXELS / max(1.0, width * height)) ** 0.5)
        image: Image.Image = page.render(scale=scale).to_pil().convert("RGB")
        page.close()
        return image
    finally:
        document.close()


def _pages(data: bytes, request: ReadRequest) -> Iterator[tuple[int, str | None, Image.Image | None]]:
    """(page number, its text if it is a text page, its image if it must be looked at) for each page."""
    if request.file_type != "pdf":
        yield 1, None, _open_image(data)
        return
    reader = PdfReader(io.BytesIO(data), strict=True)
    for index, page in enumerate(reader.pages[: request.max_pages]):
        text = page.extract_text() or ""
        if len(normalise(text)) >= TEXT_PAGE_CHARS:
            yield index + 1, text, _render(data, index, LOOK_DPI) if request.seal else None
        else:
            yield index + 1, None, _render(data, index, RENDER_DPI)


def page_count(data: bytes, file_type: str) -> int:
    return len(PdfReader(io.BytesIO(data), strict=True).pages) if file_type == "pdf" else 1


class Reader:
    """Reads files with one OCR engine (kept loaded between files)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read(self, data: bytes, request: ReadRequest) -> Reading:
        started, cpu = time.perf_counter(), time.process_time()
        wanted = {paper: set(fields) for paper, fields in request.papers}
        values: list[ReadValue] = []
        checks: list[PageCheck] = []
        recognised = 0
        used_ocr = False
        for number, text, image in _pages(data, request):
            missing = _missing(wanted, values)
            look_at = look(image, seal=request.seal) if image is not None else None
            check = PageCheck(page=number)
            if look_at is not None:
                check = replace(check, blank=look_at.blank, dark=look_at.dark, blurred=look_at.blurred,
                                small=look_at.small, seal=look_at.seal if request.seal else None)
            if text is not None:
                page = PageText(number, tuple(Piece(line) for line in text.splitlines() if line.strip()))
                values += _values(page, missing)
            elif image is not None and not check.blank and (missing or recognised < 2) and recognised < OCR_PAGES:
                # Recognised also when nothing is wanted from it (a sealed rules page): that is how a
                # sideways page is noticed.
                used_ocr = True
                recognised += 1

                def enough(pieces: tuple[Piece, ...], number: int = number,
                           missing: dict[str, tuple[str, ...]] = missing) -> bool:
                    return not _missing(missing, _values(PageText(number, pieces), missing))

                seen = self.engine.recognise(image, enough=enough, read=bool(missing))
                check = replace(check, sideways=seen.turned != 0)
                page = PageText(number, seen.pieces, seen.width, seen.height)
                found = _values(page, missing)
                values += [self._second_look(seen.upright, v, page) for v in found]
            checks.append(check)
        return Reading(status="done", values=tuple(values), pages=tuple(checks),
                       page_count=page_count(data, request.file_type),
                       engine=self.engine.name if used_ocr else "pypdf", seconds=round(time.perf_counter() - started, 3),
                       cpu_seconds=round(time.process_time() - cpu, 3))

    def _second_look(self, image: Image.Image, value: ReadValue, page: PageText) -> ReadValue:
        """An identifier that fails its check characters is read again from its crop, differently enlarged;
        the first reading that passes wins (the check tells a right reading from a wrong one)."""
        if value.valid or value.field not in _IDENTIFIERS or value.box is None:
            return value
        for text, score in self.engine.reread(image, value.box):
            again = [v for v in find_values(PageText(page.page, (Piece(text, value.box, score),), page.width,
                                                     page.height), value.paper, (value.field,)) if v.valid]
            if again:
                return replace(again[0], where=value.where, score=round(score, 3))
        return value


def _missing(wanted: Mapping[str, Collection[str]], values: list[ReadValue]) -> dict[str, tuple[str, ...]]:
    """Fields not yet read (an identifier counts only once read with valid check characters)."""
    missing = {}
    for paper, fields in wanted.items():
        left = tuple(f for f in fields if not any(v.paper == paper and v.field == f and (v.valid or f not in _IDENTIFIERS)
                                                 for v in values))
        if left:
            missing[paper] = left
    return missing


def _values(page: PageText, missing: dict[str, tuple[str, ...]]) -> list[ReadValue]:
    found: list[ReadValue] = []
    several = len(missing) > 1
    for paper, fields in missing.items():
        if several and not looks_like(page, paper):
            continue  # a file holding two papers: read each page as the paper it is
        found += find_values(page, paper, fields)
    return found


__all__ = ["Reader", "where_on_page"]
