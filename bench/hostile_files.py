"""Hostile files made on the spot, for the tests and `make bench`: a 60,000-page PDF (the review's 6 MB
file), a few-KB PDF whose text extraction costs a parser many seconds of CPU (the review's 74 KB one), and an
Excel workbook of a few hundred KB whose shared-string table openpyxl spends tens of seconds and a gigabyte on."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


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


_SHARED_STRINGS_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                        'officedocument.spreadsheetml.sharedStrings+xml"/>')
_SHARED_STRINGS_LINK = ('<Relationship Id="rIdBomb" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/sharedStrings" Target="sharedStrings.xml"/>')


def shared_strings_bomb(workbook: bytes, strings: int) -> bytes:
    """`workbook` (a plain .xlsx) with a shared-string table of `strings` short entries, all alike: it compresses
    ~1000:1 (2,000,000 entries: 88 KB unpacking to 34 MB), and openpyxl reads the whole table when it opens the
    file (those 2,000,000: 16 s of CPU and 240 MB in the reading process)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item in source.infolist():
            if item.filename == "xl/sharedStrings.xml":
                continue
            data = source.read(item.filename).decode()
            if item.filename == "[Content_Types].xml" and "sharedStrings" not in data:
                data = data.replace("</Types>", _SHARED_STRINGS_TYPE + "</Types>")
            if item.filename == "xl/_rels/workbook.xml.rels" and "sharedStrings" not in data:
                data = data.replace("</Relationships>", _SHARED_STRINGS_LINK + "</Relationships>")
            archive.writestr(item.filename, data)
        table = b"<si><t>x</t></si>" * strings
        archive.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                         b'openxmlformats.org/spreadsheetml/2006/main">' + table + b"</sst>")
    return out.getvalue()
