"""Validation of a 20 MB PDF by `flows.uploads.checks.check_upload` (signature, strict parse, encryption, every
object walked for scripts and actions, every stream decoded against bombs).

Two files of 20 MB within the page cap (`flows.uploads.checks.MAX_PAGES`): a scan (pages that are large JPEG
images, what applicants upload) and a long text document (as many pages as the cap allows, each a large
flate-compressed content stream of text lines: far denser than a real page, which is what 20 MB of text
within the cap takes). Besides: how fast a 20 MB text file of thousands of pages (over the cap) is refused.
Baselines: pypdf opening the same file and counting its pages, the least any check has to do; and for the
long text, that plus decoding every stream once, the least a check against decompression bombs has to do
(with the page cap, the long text is 300 pages of streams that inflate to ~60 MB: opening and counting is
~30 ms, inflating them ~300 ms, so no check that looks inside the streams can come within 1.1x of the first).
"""

from __future__ import annotations

import io
import random
import zlib
from io import BytesIO

from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from bench.common import Figure, median_ms, timed
from flows.uploads.checks import MAX_PAGES, FileRefused, check_upload

SIZE = 20 * 1024 * 1024
RUNS = 5
TARGET_MS = 500.0
TARGET_RATIO = 1.1  # the long text's check against pypdf's own open, page count and stream decoding


def scanned_pdf(size: int = SIZE) -> bytes:
    """Pages holding a noisy JPEG each (incompressible, like a scan), until the file reaches `size`."""
    rng = random.Random(5)
    pdf = FPDF(format="A4")
    total = 0
    while total < size:
        image = Image.frombytes("L", (1240, 1754), rng.randbytes(1240 * 1754))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=70)
        total += len(buffer.getvalue())
        pdf.add_page()
        pdf.image(buffer, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def _text_pages(pages: int, lines: int = 60) -> bytes:
    """A PDF written by hand (fpdf2 would take a minute): one Helvetica font, a flate content stream a page
    of `lines` lines of text."""
    rng = random.Random(6)
    words = [b"security", b"guard", b"filing", b"company", b"unit", b"service", b"contract", b"region"]
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for _ in range(pages):
        text = b" ".join(b"(" + b" ".join(rng.choice(words) + str(rng.randrange(10**6)).encode()
                                          for _ in range(14)) + b") '" for _ in range(lines))
        content = zlib.compress(b"BT /F1 7 Tf 30 810 Td 12 TL " + text + b" ET")
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content
                       + b"\nendstream")
        kids.append(len(objects) + 1)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
                       b">> /Contents %d 0 R >>" % len(objects))
    objects[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % k for k in kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def text_pdf(size: int = SIZE, pages: int = MAX_PAGES) -> bytes:
    """`pages` pages of text, compressed, about `size` bytes: each page's stream as long as that takes."""
    sample = 10
    per_line = len(_text_pages(sample, 1000)) / (sample * 1000)
    return _text_pages(pages, max(1, int(size / pages / per_line) + 1))


def over_cap_pdf(size: int = SIZE) -> bytes:
    """Thousands of pages of 60 lines of text, compressed, about `size` bytes: more pages than the cap."""
    sample = 100
    per_page = len(_text_pages(sample)) / sample
    return _text_pages(int(size / per_page) + 1)


def _refused(data: bytes) -> None:
    try:
        check_upload(data, "file.pdf", allowed=("pdf",), max_bytes=len(data) + 1)
    except FileRefused as refusal:
        if f"{MAX_PAGES} 页" not in str(refusal):
            raise AssertionError(f"refused for another reason: {refusal}") from None
        return
    raise AssertionError(f"a file over the {MAX_PAGES}-page cap was accepted")


def _baseline(data: bytes) -> None:
    len(PdfReader(BytesIO(data)).pages)


def _decoded_baseline(data: bytes) -> None:
    """pypdf opens the file, counts its pages and decodes every stream object once."""
    reader = PdfReader(BytesIO(data))
    len(reader.pages)
    keys = {(number, generation) for generation, entries in reader.xref.items() for number in entries if number}
    for number, generation in keys:
        found = reader.get_object(IndirectObject(number, generation, reader))
        if isinstance(found, StreamObject):
            found.get_data()


def run() -> list[Figure]:
    figures = []
    for label, make in (("scan", scanned_pdf), ("long text", text_pdf)):
        data = make()
        checked = check_upload(data, "file.pdf", allowed=("pdf",), max_bytes=len(data) + 1)
        times = timed(lambda d=data: check_upload(d, "file.pdf", allowed=("pdf",),  # type: ignore[misc]
                                                  max_bytes=len(d) + 1), RUNS)
        base = timed(lambda d=data: _baseline(d), RUNS)  # type: ignore[misc]
        figures.append(Figure(f"20 MB PDF validated ({label}): median", median_ms(times), "ms", median_ms(base),
                              "pypdf open + page count", target=TARGET_MS,
                              note=f"{len(data) / 2**20:.1f} MB, {checked.pages} pages"))
        if label == "long text":
            decoded = timed(lambda d=data: _decoded_baseline(d), RUNS)  # type: ignore[misc]
            figures.append(Figure("20 MB long-text PDF check / pypdf open + page count + streams decoded",
                                  median_ms(times) / median_ms(decoded), "x", target=TARGET_RATIO,
                                  note=f"everything checked, against the least a bomb check must do "
                                       f"({median_ms(decoded):,.0f} ms)"))
            figures.append(Figure("20 MB long-text PDF check / pypdf open + page count", median_ms(times) /
                                  median_ms(base), "x",
                                  note="no target: the page count reads no stream; the check inflates ~60 MB"))
    data = over_cap_pdf()
    pages = len(PdfReader(BytesIO(data)).pages)
    times = timed(lambda: _refused(data), RUNS)
    base = timed(lambda: _baseline(data), RUNS)
    figures.append(Figure(f"20 MB PDF over the {MAX_PAGES}-page cap refused: median", median_ms(times), "ms",
                          median_ms(base), "pypdf open + page count",
                          note=f"no target: {len(data) / 2**20:.1f} MB, {pages:,} pages, refused by the page cap"))
    return figures
