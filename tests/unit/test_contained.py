"""Hostile files are parsed in a limited worker process (flows.contained): a 60,000-page PDF is refused at the
upload with the page cap, a crafted PDF that costs a parser many seconds of CPU is ended by the limit, and the
dossier merge and the verification page's reading run there too."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from flows import contained
from flows.dossier import DossierPart, merge_contained
from flows.uploads import MAX_PAGES, FileRefused, check_upload

MB = 1024 * 1024


def many_pages(count: int) -> bytes:
    """A valid PDF of `count` empty pages, written by hand (pypdf would take long to write 60,000)."""
    offsets: list[int] = []
    out = bytearray(b"%PDF-1.4\n")

    def add(body: bytes) -> None:
        offsets.append(len(out))
        out.extend(f"{len(offsets)} 0 obj\n".encode() + body + b"\nendobj\n")

    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(f"{n} 0 R".encode() for n in range(3, 3 + count))
    add(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(count).encode() + b" >>")
    for _ in range(count):
        add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>")
    xref = len(out)
    out.extend(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    out.extend(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    out.extend(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return bytes(out)


def text_bomb(operators: int) -> bytes:
    """One page whose compressed content stream holds `operators` text operators: a few KB of file that costs
    pypdf's text extraction many seconds of CPU (the review's crafted PDF was of this kind)."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 1 Tf " + b"(x) Tj 0 1 Td " * operators + b"ET")
    page[NameObject("/Contents")] = writer._add_object(content.flate_encode(level=9))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_60000_page_pdf_is_refused_at_the_upload_with_the_page_cap() -> None:
    data = many_pages(60_000)
    assert len(PdfReader(io.BytesIO(data), strict=True).pages) == 60_000  # a real, valid PDF
    with pytest.raises(FileRefused) as refused:
        check_upload(data, "名册.pdf", allowed=("pdf",), max_bytes=20 * MB)
    assert f"文件共 60000 页，超过每项材料 {MAX_PAGES} 页的上限" in str(refused.value)


def test_a_pdf_at_the_page_cap_is_accepted() -> None:
    assert check_upload(many_pages(MAX_PAGES), "a.pdf", allowed=("pdf",), max_bytes=20 * MB).pages == MAX_PAGES


def test_a_crafted_pdf_is_ended_by_the_cpu_limit_not_by_the_server() -> None:
    bomb = text_bomb(400_000)
    assert len(bomb) < 40_000
    before = os.times()
    with pytest.raises(contained.Failed) as failed:
        contained.run("printed_text", [bomb], limits=contained.Limits(cpu_seconds=1, wall_seconds=120))
    assert failed.value.limit and "过于庞大" in failed.value.message
    after = os.times()
    # The parse's seconds of CPU were the child's, not this (server) process's.
    assert after.children_user + after.children_system > before.children_user + before.children_system


def test_the_memory_limit_applies_to_the_child() -> None:
    with pytest.raises(contained.Failed) as failed:
        contained.run("check_pdf", [many_pages(5)], limits=contained.Limits(memory_mb=16))
    assert failed.value.limit


def test_a_parser_error_in_the_child_is_a_refusal_with_a_chinese_message() -> None:
    with pytest.raises(FileRefused) as refused:
        check_upload(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << >>\n%%EOF",
                     "a.pdf", allowed=("pdf",), max_bytes=MB)
    assert "损坏" in str(refused.value)


def test_the_dossier_is_merged_in_the_worker_and_an_oversized_part_is_skipped_by_name() -> None:
    merged = merge_contained([DossierPart("申请书", "pdf", many_pages(2)),
                              DossierPart("超长名册", "pdf", many_pages(MAX_PAGES + 1)),
                              DossierPart("坏文件", "pdf", b"%PDF-1.4 garbage")])
    assert merged.pages == 2
    assert merged.skipped == ("超长名册", "坏文件")
    assert len(PdfReader(io.BytesIO(merged.data), strict=True).pages) == 2


def test_an_unknown_task_is_not_run() -> None:
    with pytest.raises(ValueError):
        contained.run("os.system", [b""])
