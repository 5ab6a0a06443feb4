"""Checking uploaded files by their content, never by the name they claim.

Every refusal is a `FileRefused` whose message, in plain Chinese, tells the applicant what
is wrong with the file and what to do about it.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, NamedTuple

from PIL import Image
from pypdf import PdfReader, apply_configuration, get_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError
from pypdf.filters import decode_stream_data, decompress
from pypdf.generic import EncodedStreamObject, IndirectObject, NameObject, StreamObject

from flows.errors import FieldError

# Images with more pixels than this are refused before being decoded (A4 at 600 dpi is 35 Mpx).
MAX_PIXELS = 40_000_000
# Total bytes all streams of one PDF may decode to; beyond this the file is treated as a bomb.
MAX_PDF_DECODED_BYTES = 400_000_000
# Indirect objects one PDF may hold; a real document of a few thousand pages stays far below.
MAX_PDF_OBJECTS = 500_000
# Pages one material may have: a licence, a roster or a set of contracts stays far below.
MAX_PAGES = 300

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

# Action types that run code, other programs or embedded media on the reviewer's machine.
_FORBIDDEN_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/RichMediaExecute", "/Rendition", "/Sound", "/Movie"}
)
# Action types that send data out, or open another (possibly remote) file. Kept: /GoTo, /URI with a
# safe address (ordinary exported documents carry both), /Named, /Thread, /Hide, /SetOCGState,
# /Trans, /ResetForm (clears fields of this document, nothing more).
_EXTERNAL_ACTIONS = frozenset({"/SubmitForm", "/ImportData", "/GoToR", "/GoToE"})
# Keys that carry scripts wherever they appear.
_SCRIPT_KEYS = frozenset({"/JavaScript", "/JS"})
# Keys of embedded files: the document's attachment name tree, a file specification's /EF.
_ATTACHMENT_KEYS = frozenset({"/EmbeddedFiles", "/EF"})
_ATTACHMENT_SUBTYPES = frozenset({"/FileAttachment"})
# Annotations that play embedded media or 3D models (which carry their own scripts).
_ACTIVE_SUBTYPES = frozenset({"/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})
# Every key the checks look at: a dictionary without any of them is passed at once.
_WATCHED_KEYS = _SCRIPT_KEYS | _ATTACHMENT_KEYS | {"/XFA", "/S", "/Type", "/Subtype", "/AA", "/URI", "/OpenAction"}
# The only schemes a link may use.
_SAFE_URI_SCHEMES = frozenset({"http", "https", "mailto"})

_MB = 1024 * 1024

_CORRUPT_PDF = "文件已损坏或不完整，无法打开。请重新导出或重新扫描成 PDF 后上传。"
_ENCRYPTED_PDF = "文件已加密（设有密码），审核人员无法打开。请取消密码后重新上传。"
_ACTIVE_PDF = (
    "文件中含有脚本或自动执行的操作，出于安全原因不能接收。"
    "请用“打印为 PDF”或扫描的方式重新生成不含脚本的 PDF 后上传。"
)
_COMPLEX_PDF = "文件内容过于庞大复杂，无法安全检查。请压缩或拆分后重新上传。"
_ATTACHED_PDF = (
    "文件中含有附件或可执行内容，出于安全原因不能接收。请另存为（或打印成）普通 PDF 后重新上传。"
)
_LINK_PDF = (
    "文件中含有不安全的链接（以 javascript:、file:、data: 等开头），出于安全原因不能接收。"
    "请删除这些链接，或用“打印为 PDF”的方式重新生成后上传。"
)
_EXTERNAL_PDF = (
    "文件中含有向外提交数据或打开其他文件的操作，出于安全原因不能接收。"
    "请用“打印为 PDF”或扫描的方式重新生成 PDF 后上传。"
)
_XFA_PDF = (
    "文件是含脚本的动态表单（XFA 表单），出于安全原因不能接收。"
    "请用“打印为 PDF”的方式另存为普通 PDF 后上传。"
)


_CORRUPT_FILE = "文件已损坏或不完整，无法打开。请重新导出或重新扫描后上传。"


def _too_many_pages(pages: int) -> str:
    return (f"文件共 {pages} 页，超过每项材料 {MAX_PAGES} 页的上限。"
            "请只保留本项材料需要的页面，或拆分后重新上传。")


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
        parts.append(human_size(self.size))
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
    # The content is parsed in a limited worker process (flows.uploads.contained), never in the server's.
    if real == "pdf":
        answer = _contained("check_pdf", data, {})
        return CheckedFile("pdf", _MIME["pdf"], len(data), int(answer["pages"]), None, None, sha256)
    answer = _contained("check_image", data, {"real": real})
    return CheckedFile(real, _MIME[real], len(data), None, int(answer["width"]), int(answer["height"]), sha256)


def _contained(task: str, data: bytes, args: dict[str, Any]) -> dict[str, Any]:
    from flows.uploads import contained

    try:
        answer, _ = contained.run(task, [data], args)
    except contained.Refused as refusal:
        raise FileRefused(str(refusal)) from None
    except contained.Unavailable:
        raise FileRefused(contained.BUSY) from None
    except contained.Failed as failure:
        raise FileRefused(_COMPLEX_PDF if failure.limit else _CORRUPT_FILE) from None
    return answer


def check_pdf_task(_args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """In the worker process (flows.uploads.contained): the PDF check."""
    return {"pages": _check_pdf(blobs[0])}, b""


def check_image_task(args: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], bytes]:
    """In the worker process (flows.uploads.contained): the picture check."""
    width, height = _check_image(blobs[0], str(args["real"]))
    return {"width": width, "height": height}, b""


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
#
# The file is opened by pypdf (strict), which reads the cross-reference data and the trailer. Every
# object the cross-reference data names is then read by a small strict reader of PDF syntax below,
# which is several times faster than pypdf's. Whatever it does not fully understand (an object not
# at its recorded offset, a stream length that does not end at "endstream", a filter other than plain
# /FlateDecode, an object inside an object stream, any unusual token) is handed to pypdf, object by
# object, so every object is checked either way and pypdf decides what a damaged file means.


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
            scan = _PdfScan(reader, data)
            pages = scan.count_pages()
            if pages == 0:
                raise FileRefused("文件中没有任何页面。请检查文件后重新上传。")
            if pages > MAX_PAGES:
                raise FileRefused(_too_many_pages(pages))
            scan.check_all_objects()
        except FileRefused:
            raise
        except (LimitReachedError, MemoryError, RecursionError) as exc:
            raise FileRefused(_COMPLEX_PDF) from exc
        except Exception as exc:
            raise FileRefused(_CORRUPT_PDF) from exc
    return pages


class _Unsupported(Exception):
    """Syntax the fast reader does not handle: the object is read by pypdf instead."""


class _Ref(NamedTuple):
    """An indirect reference read by the fast reader."""

    number: int
    generation: int


# Values of the fast reader: dict (dictionary or stream dictionary), list, str (a name, "/" included,
# #xx escapes decoded), bytes (a string), int, float, bool, None, _Ref. Objects pypdf read instead
# are pypdf's own objects; the checks below accept both.

# NUL is white space (as the PDF standard and viewers have it): "/JS\0" is the key /JS. Other bytes
# pypdf and viewers may read differently (vertical tab) end no token: pypdf reads such an object.
_DELIMITED = rb"(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"  # the token ends here
_TOKEN = re.compile(
    rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*)*(?:"
    rb"(?P<name>/[^\x00\t\n\x0b\x0c\r ()<>\[\]{}/%]{0,127}" + _DELIMITED + rb")"
    rb"|(?P<dict><<)|(?P<enddict>>>)"
    rb"|(?P<ref>(?P<rn>\d{1,10})[\x00\t\n\x0c\r ]+(?P<rg>\d{1,5})[\x00\t\n\x0c\r ]+R" + _DELIMITED + rb")"
    rb"|(?P<int>[+-]?\d{1,18}" + _DELIMITED + rb")"
    rb"|(?P<array>\[)|(?P<endarray>\])"
    rb"|(?P<real>[+-]?(?:\d{1,30}\.\d{0,30}|\.\d{1,30})" + _DELIMITED + rb")"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)|(?P<string>\()"
    rb"|(?P<word>true|false|null|endobj|stream)" + _DELIMITED + rb")"
)
_OBJECT_HEADER = re.compile(rb"[\x00\t\n\x0c\r ]*(\d{1,10})[\x00\t\n\x0c\r ]+(\d{1,5})[\x00\t\n\x0c\r ]+obj" + _DELIMITED)
_STREAM_START = re.compile(rb" *(?:\r\n|\r|\n)")
_STREAM_END = re.compile(rb"[\t\n\x0c\r \x00]*endstream")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_STRING_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n|\r|\n)|(.))", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_FLATE = ("/FlateDecode", "/Fl")


def _unescape_string(raw: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        octal, _newline, other = match.groups()
        if octal is not None:
            return bytes((int(octal, 8) & 0xFF,))
        if other is not None:
            return _ESCAPES.get(other, other)
        return b""

    return _STRING_ESCAPE.sub(replace, raw) if b"\\" in raw else raw


class _PdfScan:
    """Every object of one opened PDF, read once, checked once."""

    def __init__(self, reader: PdfReader, data: bytes) -> None:
        self.reader = reader
        self.data = data
        self.config = get_configuration()
        self.offsets: dict[tuple[int, int], int] = {}
        free = reader.xref_free_entry
        for generation, entries in reader.xref.items():
            for number, offset in entries.items():
                if number != 0 and not free.get(generation, {}).get(number, False):
                    self.offsets[(number, generation)] = offset
        self.keys = set(self.offsets)
        for number in reader.xref_objStm:
            # pypdf reads a number listed in an object stream from there, whatever the table says.
            self.offsets.pop((number, 0), None)
        self.keys.update((number, 0) for number in reader.xref_objStm if number != 0)
        if len(self.keys) > MAX_PDF_OBJECTS:
            raise FileRefused(_COMPLEX_PDF)
        self.objects: dict[tuple[int, int], Any] = {}
        # The dictionaries in each object the fast reader read (None: read by pypdf, to be walked).
        self.dictionaries: dict[tuple[int, int], list[dict[str, Any]] | None] = {}
        self.checked: set[tuple[int, int]] = set()
        self.reading: set[tuple[int, int]] = set()
        self.decoded = 0

    # -- objects

    def get(self, key: tuple[int, int]) -> Any:
        """The object `key` names, read once (by the fast reader, or by pypdf when it cannot)."""
        if key in self.objects:
            return self.objects[key]
        offset = self.offsets.get(key)
        value: Any = None
        dictionaries: list[dict[str, Any]] | None = None
        if offset is not None and key not in self.reading:
            self.reading.add(key)
            try:
                found: list[dict[str, Any]] = []
                value = self._read_object(offset, key, found)
                dictionaries = found
            except _Unsupported:
                pass
            finally:
                self.reading.discard(key)
        if dictionaries is None:
            value = self.reader.get_object(IndirectObject(key[0], key[1], self.reader))
            if isinstance(value, StreamObject):
                self._count(_decode(value))
        self.objects[key] = value
        self.dictionaries[key] = dictionaries
        if key not in self.keys:
            # Found by pypdf outside the cross-reference data (it searches for it): checked too.
            self._check(key)
        return value

    def resolve(self, value: Any) -> Any:
        if isinstance(value, _Ref):
            return self.get((value.number, value.generation))
        if isinstance(value, IndirectObject):
            return self.get((value.idnum, value.generation))
        return value

    def _count(self, size: int) -> None:
        self.decoded += size
        if self.decoded > MAX_PDF_DECODED_BYTES:
            raise FileRefused(_COMPLEX_PDF)

    # -- the fast reader

    def _read_object(self, offset: int, key: tuple[int, int], dictionaries: list[dict[str, Any]]) -> Any:
        """The object at `offset`; every dictionary in it (nested ones too) is added to `dictionaries`."""
        header = _OBJECT_HEADER.match(self.data, offset)
        if header is None or (int(header[1]), int(header[2])) != key:
            raise _Unsupported
        value, position = self._read_value(header.end(), dictionaries)
        token = _TOKEN.match(self.data, position)
        if token is None or token.lastgroup != "word":
            raise _Unsupported
        word = token["word"]
        if word == b"endobj":
            return value
        if word != b"stream" or type(value) is not dict:
            raise _Unsupported
        start = _STREAM_START.match(self.data, token.end())
        length = value.get("/Length")
        if isinstance(length, _Ref):
            length = self.get((length.number, length.generation))
        if start is None or not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise _Unsupported
        if length > self.config.maximum_declared_stream_length:
            raise LimitReachedError("declared stream length")
        begin = start.end()
        raw = self.data[begin : begin + length]
        if len(raw) != length or _STREAM_END.match(self.data, begin + length) is None:
            raise _Unsupported
        self._count(self._decode_raw(value, raw))
        return value

    def _decode_raw(self, stream: dict[str, Any], raw: bytes) -> int:
        """The decoded size of a stream without a filter or with plain /FlateDecode, as pypdf decodes it."""
        filters = stream.get("/Filter")
        if type(filters) is list and len(filters) == 1:
            filters = filters[0]
        if filters is None:
            return len(raw)
        parameters = stream.get("/DecodeParms")
        if type(parameters) is list and len(parameters) == 1:
            parameters = parameters[0]
        if type(filters) is not str or filters not in _FLATE or parameters not in (None, {}):
            raise _Unsupported
        if not raw:
            return 0
        try:
            size = len(decompress(raw))  # pypdf's own: same output limit, same (disabled) recovery
        except LimitReachedError as exc:
            if str(exc).startswith("Recovery limit"):
                raise _CorruptStream from exc
            raise
        if len(raw) + size > self.config.stream_decoding_work_maximum_length:
            raise LimitReachedError("decoding work")
        return size

    def _read_value(self, position: int, dictionaries: list[dict[str, Any]]) -> tuple[Any, int]:
        """One value starting at `position` (after optional whitespace); returns it and where it ends."""
        data = self.data
        match = _TOKEN.match
        # Open containers: (container, key awaiting its value or None); dictionaries and arrays alike.
        stack: list[tuple[dict[str, Any] | list[Any], list[str | None]]] = []
        dictionary_limit = self.config.dictionary_maximum_element_count
        array_limit = self.config.array_maximum_element_count
        while True:
            token = match(data, position)
            if token is None:
                raise _Unsupported
            position = token.end()
            kind = token.lastgroup
            value: Any
            if kind == "name":
                name = token["name"]
                if b"#" in name:
                    name = _NAME_ESCAPE.sub(lambda m: bytes((int(m[1], 16),)), name)
                value = name.decode("latin-1")
            elif kind == "ref":
                value = _Ref(int(token["rn"]), int(token["rg"]))
            elif kind == "int":
                value = int(token["int"])
            elif kind == "real":
                value = float(token["real"])
            elif kind == "dict" or kind == "array":
                stack.append(({} if kind == "dict" else [], [None]))
                continue
            elif kind == "enddict" or kind == "endarray":
                if not stack:
                    raise _Unsupported
                container, pending = stack.pop()
                if (kind == "enddict") != (type(container) is dict) or pending[0] is not None:
                    raise _Unsupported
                if kind == "enddict":
                    dictionaries.append(container)  # type: ignore[arg-type]
                value = container
            elif kind == "string":
                value, position = self._read_string(position)
            elif kind == "hex":
                digits = re.sub(rb"[\x00\t\n\x0c\r ]", b"", token["hex"][1:-1])
                value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
            elif kind == "word":
                word = token["word"]
                if word == b"true":
                    value = True
                elif word == b"false":
                    value = False
                elif word == b"null":
                    value = None
                else:
                    raise _Unsupported
            else:
                raise _Unsupported
            if not stack:
                return value, position
            container, pending = stack[-1]
            if type(container) is dict:
                key = pending[0]
                if key is None:
                    if type(value) is not str or value in container:
                        raise _Unsupported  # a key that is not a name, or a key given twice
                    pending[0] = value
                else:
                    container[key] = value
                    pending[0] = None
                    if len(container) > dictionary_limit:
                        raise LimitReachedError("dictionary entries")
            else:
                assert isinstance(container, list)
                container.append(value)
                if len(container) > array_limit:
                    raise LimitReachedError("array entries")

    def _read_string(self, position: int) -> tuple[bytes, int]:
        """A literal string whose "(" ends before `position`: its bytes, and where it ends."""
        data = self.data
        start = position
        depth = 1
        while True:
            special = _STRING_SPECIAL.search(data, position)
            if special is None:
                raise _Unsupported
            char = data[special.start()]
            position = special.end()
            if char == 0x5C:  # backslash: the next byte is escaped
                position += 1
            elif char == 0x28:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return _unescape_string(data[start : position - 1]), position

    # -- the checks

    def check_all_objects(self) -> None:
        """Check the trailer and every object the cross-reference data names, object streams included."""
        self._check_tree(self.reader.trailer)
        for key in sorted(self.keys):
            self.get(key)
            self._check(key)

    def _check(self, key: tuple[int, int]) -> None:
        if key in self.checked:
            return
        self.checked.add(key)
        dictionaries = self.dictionaries[key]
        if dictionaries is None:
            self._check_tree(self.objects[key])
        else:
            for dictionary in dictionaries:
                _check_dictionary(dictionary, self.resolve)

    def _check_tree(self, top: Any) -> None:
        """Check one object's direct structure; indirect references are checked on their own."""
        stack = [top]
        while stack:
            obj = stack.pop()
            if isinstance(obj, dict):
                _check_dictionary(obj, self.resolve)
                stack.extend(v for v in obj.values() if isinstance(v, (dict, list)))
            elif isinstance(obj, list):
                stack.extend(v for v in obj if isinstance(v, (dict, list)))

    def count_pages(self) -> int:
        """The pages of the page tree, walked as pypdf walks it; /AA of the catalog and of pages refused."""
        root = self.resolve(self.reader.trailer.raw_get("/Root"))
        if not isinstance(root, dict):
            raise _CorruptStream("no catalog")
        if "/AA" in root:
            raise FileRefused(_ACTIVE_PDF)
        open_action = self.resolve(root.get("/OpenAction"))
        if isinstance(open_action, dict) and _name(self.resolve(open_action.get("/S"))) != "/GoTo":
            raise FileRefused(_ACTIVE_PDF)  # an indirect /OpenAction action, as a direct one
        tree = self.resolve(root.get("/Pages"))
        if not isinstance(tree, dict):
            raise _CorruptStream("no page tree")
        pages = 0
        entries = 0
        ancestors: set[int] = set()
        # Each frame: a /Pages node and the iterator over its /Kids.
        stack: list[tuple[dict[str, Any], Iterator[Any]]] = []
        node: dict[str, Any] | None = tree
        depth = 0
        while node is not None:
            if depth > self.config.page_tree_maximum_depth:
                raise LimitReachedError("page tree depth")
            node_type = _text(self.resolve(node["/Type"])) if "/Type" in node else None
            if node_type is None and "/Type" not in node:
                if "/Kids" not in node:
                    if not any(k in node for k in ("/Contents", "/MediaBox", "/Parent")):
                        raise _CorruptStream("not a page")
                    node_type = "/Page"
                else:
                    node_type = "/Pages"
            if node_type == "/Pages":
                kids = self.resolve(node.get("/Kids"))
                if kids is None:
                    kids = []
                elif not isinstance(kids, list):
                    raise _CorruptStream("/Kids is not an array")
                ancestors.add(id(node))
                stack.append((node, iter(kids)))
            elif node_type == "/Page":
                pages += 1
                if "/AA" in node:
                    raise FileRefused(_ACTIVE_PDF)
            node = None
            while stack and node is None:
                parent, kids_left = stack[-1]
                for kid in kids_left:
                    obj = self.resolve(kid)
                    if not isinstance(obj, dict) or not obj:
                        continue
                    if id(obj) in ancestors:
                        raise _CorruptStream("cyclic page tree")
                    entries += 1
                    if entries > self.config.page_tree_maximum_entries:
                        raise LimitReachedError("page tree entries")
                    node = obj
                    depth = len(stack)
                    break
                else:
                    stack.pop()
                    ancestors.discard(id(parent))
        return pages


def _name(value: Any) -> str | None:
    """The name `value` is (NameObject from pypdf, str from the fast reader), else None."""
    if isinstance(value, NameObject) or type(value) is str:
        return str(value)
    return None


def _text(value: Any) -> str | None:
    """A name or string as text (for comparisons that must not depend on how it was written)."""
    if isinstance(value, bytes):
        if value[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return value.decode("utf-16", errors="replace")
        return value.decode("latin-1")
    if isinstance(value, str):
        return str(value)
    return None


def _safe_uri(uri: str) -> bool:
    """True for a link a reviewer may follow: http(s) or mailto. A link without a scheme is refused too:
    the viewer resolves it against the file's own location, which makes it a link to a local file."""
    # Browsers drop leading/trailing controls and spaces and tabs/newlines anywhere ("java\tscript:").
    cleaned = "".join(ch for ch in uri if ord(ch) > 0x20 and ch != "\x7f").lower()
    scheme, colon, _rest = cleaned.partition(":")
    return bool(colon) and scheme in _SAFE_URI_SCHEMES


def _check_dictionary(obj: dict[Any, Any], resolve: Callable[[Any], Any]) -> None:
    watched = obj.keys() & _WATCHED_KEYS
    if not watched:
        return  # most dictionaries (fonts, resources, plain pages) have none of these keys
    if watched & _SCRIPT_KEYS:
        raise FileRefused(_ACTIVE_PDF)
    if watched & _ATTACHMENT_KEYS:
        raise FileRefused(_ATTACHED_PDF)
    if "/XFA" in watched:
        raise FileRefused(_XFA_PDF)
    # dict.get: a pypdf DictionaryObject's [] would resolve the reference itself, the fast reader's not.
    if "/S" in watched:
        action = _name(resolve(dict.get(obj, "/S")))
        if action in _FORBIDDEN_ACTIONS:
            raise FileRefused(_ACTIVE_PDF)
        if action in _EXTERNAL_ACTIONS:
            raise FileRefused(_EXTERNAL_PDF)
    kind = _text(resolve(dict.get(obj, "/Type"))) if "/Type" in watched else None
    if kind == "/EmbeddedFile":
        raise FileRefused(_ATTACHED_PDF)
    if "/Subtype" in watched:
        subtype = _name(resolve(dict.get(obj, "/Subtype")))
        if subtype in _ATTACHMENT_SUBTYPES:
            raise FileRefused(_ATTACHED_PDF)
        if subtype in _ACTIVE_SUBTYPES:
            raise FileRefused(_ACTIVE_PDF)
    if "/AA" in watched and kind in ("/Page", "/Catalog"):
        raise FileRefused(_ACTIVE_PDF)
    if "/URI" in watched:
        uri = resolve(dict.get(obj, "/URI"))
        if isinstance(uri, dict):  # the catalog's URI dictionary: its /Base
            uri = resolve(dict.get(uri, "/Base"))
        text = _text(uri)
        if text is not None and not _safe_uri(text):
            raise FileRefused(_LINK_PDF)
    if "/OpenAction" in watched:
        # A destination array (as fpdf2 writes: [page /FitH null]) only opens a page, and so does
        # a /GoTo action (as LaTeX hyperref writes); any other action dictionary is refused.
        # A /Next chain is walked like everything else.
        open_action = resolve(dict.get(obj, "/OpenAction"))
        if isinstance(open_action, dict) and _name(resolve(dict.get(open_action, "/S"))) != "/GoTo":
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


def human_size(size: int) -> str:
    """A file's size as every page shows it: 9 KB, 1.2 MB (one rounding everywhere)."""
    if size >= _MB:
        return f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} 字节"
