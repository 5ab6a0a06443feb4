"""The merged dossier: every page of every PDF, each image as one upright A4 page, in order."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader

from flows.review.dossier import DossierPart, image_to_pdf, merge_dossier


def pdf_with_pages(n: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for i in range(n):
        pdf.add_page()
        pdf.cell(0, 10, f"page {i + 1}")
    return bytes(pdf.output())


def image_bytes(fmt: str, size: tuple[int, int] = (400, 300), exif_rotate: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    if exif_rotate:
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to show upright
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def test_merged_dossier_has_every_page_of_every_pdf_in_order() -> None:
    merged = merge_dossier([DossierPart("申请书", "pdf", pdf_with_pages(2)),
                            DossierPart("营业执照", "pdf", pdf_with_pages(3))])
    reader = PdfReader(io.BytesIO(merged.data))
    assert merged.pages == 5
    assert len(reader.pages) == 5
    assert "page 1" in reader.pages[2].extract_text()
    assert [item.title for item in reader.outline] == ["申请书", "营业执照"]  # type: ignore[union-attr]
    assert merged.skipped == ()


def test_images_become_one_a4_page_each() -> None:
    merged = merge_dossier([DossierPart("身份证", "jpeg", image_bytes("JPEG")),
                            DossierPart("制度", "pdf", pdf_with_pages(1)),
                            DossierPart("照片", "png", image_bytes("PNG", (300, 500)))])
    reader = PdfReader(io.BytesIO(merged.data))
    assert len(reader.pages) == 3
    landscape, _, portrait = (reader.pages[i].mediabox for i in range(3))
    assert float(landscape.width) > float(landscape.height)  # a wide photo gets a landscape page
    assert round(float(portrait.width)) == 595 and round(float(portrait.height)) == 842  # A4 in points


def test_a_photo_taken_sideways_is_turned_upright() -> None:
    # 400x300 stored, EXIF says rotate: shown upright it is 300x400, so the page is portrait
    page = PdfReader(io.BytesIO(image_to_pdf(image_bytes("JPEG", exif_rotate=True)))).pages[0]
    assert float(page.mediabox.height) > float(page.mediabox.width)


def test_an_unreadable_part_is_skipped_and_named() -> None:
    merged = merge_dossier([DossierPart("坏文件", "pdf", b"%PDF-1.4 garbage"),
                            DossierPart("好文件", "pdf", pdf_with_pages(1)),
                            DossierPart("坏图片", "png", b"\x89PNG not really")])
    assert merged.pages == 1
    assert merged.skipped == ("坏文件", "坏图片")
    assert len(PdfReader(io.BytesIO(merged.data)).pages) == 1


def test_nothing_readable_still_gives_a_valid_pdf() -> None:
    merged = merge_dossier([])
    assert merged.pages == 0
    assert len(PdfReader(io.BytesIO(merged.data)).pages) == 1
