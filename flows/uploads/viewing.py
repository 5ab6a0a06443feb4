"""Reading stored or visitor-supplied files for display: the worker-process side (see flows.uploads.contained).

Each `*_task` runs in a limited child process, never in the server: the verification page's text
extraction, the page count and page pictures of a PDF preview, the picture preview.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from PIL import Image, ImageOps
from pypdf import PdfReader

MAX_IMAGE_PIXELS = 60_000_000
TEXT_PAGES = 10  # the verification page reads the first pages only


def printed_text_task(_args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """The text of the first pages of a PDF (strict pypdf)."""
    reader = PdfReader(io.BytesIO(blobs[0]), strict=True)
    text = "".join(page.extract_text() or "" for page in reader.pages[:TEXT_PAGES])
    return {"text": text}, b""


def page_count_task(_args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(blobs[0])
    try:
        return {"pages": len(document)}, b""
    finally:
        document.close()


def page_png_task(args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """Page `page` (0-based) as a PNG about `width_px` wide, with a thin grey edge."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(blobs[0])
    try:
        pdf_page = document[int(args["page"])]
        scale = min(4.0, max(0.2, int(args["width_px"]) / max(1.0, pdf_page.get_width())))
        image = pdf_page.render(scale=scale).to_pil()
        pdf_page.close()
    finally:
        document.close()
    image = ImageOps.expand(image.convert("RGB"), border=2, fill=(180, 188, 200))  # white pages need an edge
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return {}, out.getvalue()


def image_preview_task(args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """A picture turned upright (EXIF) and scaled down for the screen, as JPEG."""
    max_px = int(args["max_px"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(blobs[0])) as opened:
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise ValueError("image too large")
            image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((max_px, max_px))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return {}, out.getvalue()
