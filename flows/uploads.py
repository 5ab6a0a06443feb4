"""Checking uploaded files by their content, never by the name they claim.

Every refusal is a `FileRefused` whose message, in plain Chinese, tells the applicant what
is wrong with the file and what to do about it.
"""

from __future__ import annotations

import hashlib
import math
import os
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO

from PIL import Image
from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from flows.errors import FieldError

# Images with more pixels than this are refused before being decoded (A4 at 600 dpi is 35 Mpx).
MAX_PIXELS = 40_000_000
# Total bytes all streams of one PDF may decode to; beyond this the file is treated as a bomb.
MAX_PDF_DECODED_BYTES = 400_000_000
# Indirect objects one PDF may hold; a real document of a few thousand pages stays far below.
MAX_PDF_OBJECTS = 500_000

FILE_TYPES = ("pdf", "jpeg", "png")

_MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
_LABEL = {"pdf": "PDF 文件", "jpeg": "JPEG 图片", "png": "PNG 图片"}
_SHORT = {"pdf": "PDF", "jpeg": "JPEG 图片", "png": "PNG 图片"}
_SUFFIX = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}
_EXTENSIONS = {
    ".pdf": "pdf",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".png": "png",
}
_HINTS = {
    ".doc": "Word 文档请先“另存为 PDF”后上传。",
    ".docx": "Word 文档请先“另存为 PDF”后上传。",
    ".wps": "WPS 文档请先“输出为 PDF”后上传。",
    ".ofd": "OFD 文件请先转换为 PDF 后上传。",
    ".heic": "苹果手机的 HEIC 照片请先转换为 JPG 图片（或在相机设置中选择“兼容性最佳”后重新拍摄）。",
    ".heif": "HEIF 照片请先转换为 JPG 图片后上传。",
}
_PIL_FORMATS = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",)}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"

# Action types that run code or other programs on the reviewer's machine.
_FORBIDDEN_ACTIONS = frozenset({"/JavaScript", "/Launch"})
# Keys that carry scripts wherever they appear.
_SCRIPT_KEYS = frozenset({"/JavaScript", "/JS"})

_MB = 1024 * 1024

_CORRUPT_PDF = "文件已损坏或不完整，无法打开。请重新导出或重新扫描成 PDF 后上传。"
_ENCRYPTED_PDF = "文件已加密（设有密码），审核人员无法打开。请取消密码后重新上传。"
_ACTIVE_PDF = (
    "文件中含有脚本或自动执行的操作，出于安全原因不能接收。"
    "请用“打印为 PDF”或扫描的方式重新生成不含脚本的 PDF 后上传。"
)
_COMPLEX_PDF = "文件内容过于庞大复杂，无法安全检查。请压缩或拆分后重新上传。"


class _CorruptStream(Exception):
    """A stream whose data cannot be decoded."""


class FileRefused(FieldError):
    """An uploaded file that cannot be accepted; the message tells the applicant what to do."""


@dataclass(frozen=True)
class CheckedFile:
    """What the content check established about an accepted upload."""

    file_type: str
    mime: str
    size: int
    pages: int | None
    width: int | None
    height: int | None
    sha256: str

    def describe(self) -> str:
        """A short Chinese description, e.g. "PDF，3页，1.2 MB"."""
        parts = [_SHORT[self.file_type]]
        if self.pages is not None:
            parts.append(f"{self.pages}页")
        if self.width is not None and self.height is not None:
            parts.append(f"{self.width}×{self.height}像素")
        parts.append(_human_size(self.size))
        return "，".join(parts)


def check_upload(data: bytes, filename: str, *, allowed: Sequence[str], max_bytes: int) -> CheckedFile:
    """Check an upload's real content; return what it is, or raise `FileRefused` saying why not."""
    unknown = [t for t in allowed if t not in FILE_TYPES]
    if unknown or not allowed:
        raise ValueError(f"allowed must be a non-empty subset of {FILE_TYPES}, got {list(allowed)}")
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")

    if not data:
        raise FileRefused("文件是空的（0 字节），可能上传时出错。请检查文件后重新上传。")
    if len(data) > max_bytes:
        raise FileRefused(
            f"文件大小为 {_mb_over(len(data))} MB，超过本项材料 {_mb_limit(max_bytes)} MB 的上限。"
            "请压缩或拆分后重新上传。"
        )

    accepted = "、".join(_LABEL[t] for t in allowed)
    real = sniff_type(data)
    extension = _extension(filename)
    if real is None:
        hint = _HINTS.get(extension, "请检查文件后重新上传。")
        raise FileRefused(f"无法识别该文件的格式。本项材料只接受 {accepted}，{hint}")

    claimed = _EXTENSIONS.get(extension)
    shown_ext = extension if extension else "（无）"
    if real not in allowed:
        if claimed is not None and claimed != real and claimed in allowed:
            raise FileRefused(
                f"该文件扩展名为 {shown_ext}，但实际内容是 {_LABEL[real]}。"
                f"本项材料只接受 {accepted}，请上传真正的 {_LABEL[claimed]}。"
            )
        raise FileRefused(f"该文件是 {_LABEL[real]}，本项材料只接受 {accepted}。请转换格式后重新上传。")
    if claimed != real:
        # A renamed file is a sign of a mistake: the applicant may have picked the wrong file.
        if claimed is None:
            advice = f"请将文件保存为 {_SUFFIX[real]} 格式后重新上传。"
        elif claimed in allowed:
            advice = f"请上传真正的 {_LABEL[claimed]}，或直接按{_kind_word(real)}上传。"
        else:
            advice = f"请将扩展名改为 {_SUFFIX[real]} 后按{_kind_word(real)}重新上传。"
        raise FileRefused(f"该文件扩展名为 {shown_ext}，但实际内容是 {_LABEL[real]}。{advice}")

    sha256 = hashlib.sha256(data).hexdigest()
    if real == "pdf":
        pages = _check_pdf(data)
        return CheckedFile("pdf", _MIME["pdf"], len(data), pages, None, None, sha256)
    width, height = _check_image(data, real)
    return CheckedFile(real, _MIME[real], len(data), None, width, height, sha256)


def sniff_type(data: bytes) -> str | None:
    """The real type of the bytes by their signature: "pdf", "jpeg", "png", or None."""
    if data.startswith(_JPEG_SIGNATURE):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None


def safe_filename(name: str) -> str:
    """A file name safe to store and show: no directories, control or bidi characters, <= 100 chars."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: format characters, among them the bidi overrides and isolates
    # (U+202A-U+202E, U+2066-U+2069) that make "gpj.exe" display as "exe.jpg".
    name = "".join(
        "_" if ch in '<>:"|?*' else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )
    name = name.strip()
    stem, ext = os.path.splitext(name)
    if not ext and name.startswith(".") and "." not in name[1:]:
        stem, ext = "", name  # ".pdf": an extension without a name
    if len(ext) > 16 or not ext[1:].isalnum():
        stem, ext = name, ""
    stem = stem.strip().strip(".").strip() or "file"
    return stem[: 100 - len(ext)].rstrip() + ext


# ---------------------------------------------------------------------------------------------
# PDF


def _check_pdf(data: bytes) -> int:
    # No external decoders on untrusted data (jbig2dec); no byte-by-byte "recovery" of a broken
    # flate stream: such a stream is garbage and must fail instead of being logged and skipped.
    with apply_configuration(jbig2dec_binary=None, zlib_maximum_recovery_input_length=0):
        try:
            reader = PdfReader(BytesIO(data), strict=True)
        except (DependencyError, FileNotDecryptedError):
            # DependencyError: AES-256 encryption without the `cryptography` package.
            raise FileRefused(_ENCRYPTED_PDF) from None
        except LimitReachedError as exc:
            raise FileRefused(_COMPLEX_PDF) from exc
        except Exception as exc:  # any failure to parse untrusted bytes means "cannot open"
            raise FileRefused(_CORRUPT_PDF) from exc
        try:
            if reader.is_encrypted:
                raise FileRefused(_ENCRYPTED_PDF)
            pages = len(reader.pages)
            if pages == 0:
                raise FileRefused("文件中没有任何页面。请检查文件后重新上传。")
            _check_pdf_objects(reader)
        except FileRefused:
            raise
        except (LimitReachedError, MemoryError, RecursionError) as exc:
            raise FileRefused(_COMPLEX_PDF) from exc
        except Exception as exc:
            raise FileRefused(_CORRUPT_PDF) from exc
    return pages


def _all_objects(reader: PdfReader) -> Iterator[PdfObject]:
    """The trailer and every indirect object the cross-reference data names, object streams included."""
    yield reader.trailer
    seen: set[tuple[int, int]] = set()
    for generation, entries in reader.xref.items():
        for number in entries:
            seen.add((number, generation))
    for number in reader.xref_objStm:
        seen.add((number, 0))
    if len(seen) > MAX_PDF_OBJECTS:
        raise FileRefused(_COMPLEX_PDF)
    for number, generation in sorted(seen):
        if number == 0:
            continue
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if obj is not None:
            yield obj


def _check_pdf_objects(reader: PdfReader) -> None:
    root = reader.trailer["/Root"].get_object()
    if isinstance(root, DictionaryObject) and "/AA" in root:
        raise FileRefused(_ACTIVE_PDF)
    for page in reader.pages:
        if "/AA" in page:
            raise FileRefused(_ACTIVE_PDF)

    decoded = 0
    for top in _all_objects(reader):
        # Walk the direct structure of each object; indirect references are visited on their own.
        stack: list[PdfObject] = [top]
        while stack:
            obj = stack.pop()
            if isinstance(obj, DictionaryObject):
                _check_dictionary(obj)
                if isinstance(obj, StreamObject):
                    decoded += _decode(obj)
                    if decoded > MAX_PDF_DECODED_BYTES:
                        raise FileRefused(_COMPLEX_PDF)
                stack.extend(v for v in obj.values() if not isinstance(v, IndirectObject))
            elif isinstance(obj, ArrayObject):
                stack.extend(v for v in obj if not isinstance(v, IndirectObject))


def _check_dictionary(obj: DictionaryObject) -> None:
    for key in obj:
        if key in _SCRIPT_KEYS:
            raise FileRefused(_ACTIVE_PDF)
    action = obj["/S"] if "/S" in obj else None
    if isinstance(action, NameObject) and action in _FORBIDDEN_ACTIONS:
        raise FileRefused(_ACTIVE_PDF)
    if "/AA" in obj and "/Type" in obj and str(obj["/Type"]) in ("/Page", "/Catalog"):
        raise FileRefused(_ACTIVE_PDF)
    if "/OpenAction" in obj:
        # A destination array (as fpdf2 writes: [page /FitH null]) only opens a page, and so does
        # a /GoTo action (as LaTeX hyperref writes); any other action dictionary is refused.
        # A /Next chain is walked like everything else.
        open_action = obj["/OpenAction"]
        if isinstance(open_action, DictionaryObject):
            kind = open_action["/S"] if "/S" in open_action else None
            if not (isinstance(kind, NameObject) and kind == "/GoTo"):
                raise FileRefused(_ACTIVE_PDF)


def _decode(stream: StreamObject) -> int:
    """Decode a stream without caching the result; garbage raises. Returns the decoded size."""
    if not isinstance(stream, EncodedStreamObject):
        return len(stream.get_data())
    try:
        return len(decode_stream_data(stream))
    except DependencyError:
        # A filter needing an external program (JBIG2 scans): cannot be checked here, not corrupt.
        return len(stream._data)
    except LimitReachedError as exc:
        # With recovery switched off, a flate stream that is not zlib data at all ends here too.
        if str(exc).startswith("Recovery limit"):
            raise _CorruptStream from exc
        raise



# ---------------------------------------------------------------------------------------------
# Images


def _check_image(data: bytes, real: str) -> tuple[int, int]:
    corrupt = (
        f"图片已损坏或不完整，无法显示。请重新拍摄或重新导出为 {_SUFFIX[real]} 图片后上传。"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=list(_PIL_FORMATS[real])) as image:
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise FileRefused(corrupt)
                if width * height > MAX_PIXELS:
                    raise FileRefused(_too_many_pixels(width, height))
                image.load()
        except FileRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as exc:
            raise FileRefused("图片像素过大，无法处理。请缩小图片尺寸后重新上传。") from exc
        except Exception as exc:  # any decoder failure on untrusted bytes means "cannot display"
            raise FileRefused(corrupt) from exc
    return width, height


def _too_many_pixels(width: int, height: int) -> str:
    megapixels = width * height / 1_000_000
    return (
        f"图片像素过大（{width}×{height}，约 {megapixels:.0f} 百万像素），"
        f"超过 {MAX_PIXELS // 1_000_000} 百万像素的上限。请缩小图片尺寸后重新上传。"
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _extension(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return os.path.splitext(base)[1].lower()


def _kind_word(file_type: str) -> str:
    return "PDF 文件" if file_type == "pdf" else "图片"


def _mb_over(size: int) -> str:
    """Size in MB rounded up to one decimal, so an oversize file never reads as equal to the limit."""
    return f"{math.ceil(size / _MB * 10) / 10:.1f}"


def _mb_limit(size: int) -> str:
    value = size / _MB
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _human_size(size: int) -> str:
    if size >= _MB:
        return f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} 字节"
