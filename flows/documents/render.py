"""Certificates and notices as A4 PDFs in Chinese (fpdf2, WenQuanYi Micro Hei embedded as a subset).

A legal document must never lose a character: every text is checked against the fonts' character
maps before anything is drawn, and a character no font holds raises `MissingGlyph`. Names with rare
characters (CJK Extension A such as 䶮, Extension B such as 𠮷) print through fallback fonts: Debian's
`fonts-hanazono` (HanaMinA, HanaMinB), found at `FALLBACK_FONT_FILES` (or `DOCUMENT_FALLBACK_FONTS`,
paths separated by ":"). Only a document that needs them gets them, as a subset holding just the
characters it prints (~0.3 s per fallback font; most documents need none). `unprintable()` tells the
input checks what can print, so such a name is refused where it is typed when no font holds it.

Which font draws what, and how fast: flows/documents/fonts.py.

Layout: paragraphs are broken into lines here, never inside a run of letters and digits (a credit
code, a licence or case number stays on one line); the organ issuing is an administrative organ,
its handling unit (承办单位) printed under the date when it differs.

The QR code's link carries the organ's signature of what the certificate states (flows/documents/signing.py);
the link printed under it leaves the signature out.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import fpdf.output as fpdf_output
import segno
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.image_parsing import get_img_info
from fpdf.syntax import PDFContentStream
from PIL import Image

from flows.clock import chinese_date
from flows.documents import fonts
from flows.documents.fonts import (
    EmbeddedFont,
    MissingGlyph,
    check_glyphs,
    embedded_font,
    faces_for,
    main_faces,
    unprintable,
)
from flows.documents.seal import drawable, seal_png
from flows.errors import DomainError

FONT_FAMILY = "wqy"

CHINA_TZ = timezone(timedelta(hours=8))

def remedies(reconsideration: str) -> str:
    """What a refused applicant may do, naming the organ that hears the 行政复议 (行政复议法第二十条: a
    decision that does not tell it leaves the 60 days unstarted)."""
    return (f"如不服本决定，可以自收到本决定书之日起60日内向{reconsideration}申请行政复议，"
            "或者自收到本决定书之日起6个月内依法向人民法院提起行政诉讼。")
VERIFY_LINE = "扫码或登录验证页面输入验证码核验真伪"
SPECIMEN = "演示样本"
SPECIMEN_LINE = "演示环境生成的样本文书，不具有法律效力"


# Layout, in millimetres and points.
_MARGIN_X = 25.0
_MARGIN_TOP = 22.0
_MARGIN_BOTTOM = 22.0
_QR_SIZE = 30.0
_SEAL_SIZE = 38.0
_GREY = (90, 90, 90)
_LABEL_FILL = (242, 242, 242)
_INDENT = "\u3000\u3000"


@dataclass(frozen=True)
class DocumentSpec:
    """Everything printed on one document; `render` turns it into PDF bytes."""

    title: str
    number: str | None
    organ: str
    issued_on: date
    addressee: str | None
    paragraphs: tuple[str, ...]
    table: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    verification_code: str | None = None
    verify_url: str | None = None
    footer: str | None = None
    province: str = ""
    # Paragraphs printed after the numbered items (e.g. what to do next, the remedies).
    closing: tuple[str, ...] = field(default=())
    undertaker: str | None = None  # 承办单位: the organ's unit that handled it, when it differs
    seal: str | None = None  # the text of the organ's seal, stamped over the organ's name and the date
    specimen: bool = False  # made by the demo: every page says so (SPECIMEN), across and at its top

    def texts(self) -> Iterator[str]:
        """Every piece of text the document prints, fixed labels included."""
        yield from (self.title, self.organ, chinese_date(self.issued_on), self.province)
        if self.specimen:
            yield from (SPECIMEN, SPECIMEN_LINE)
        for optional in (self.number, self.addressee, self.verification_code, self.verify_url, self.footer,
                         self.undertaker_line):
            if optional:
                yield optional
        yield from self.paragraphs
        yield from self.closing
        for label, value in self.table:
            yield label
            yield value
        yield from self.items
        yield from _FIXED_TEXTS


    @property
    def undertaker_line(self) -> str | None:
        if self.undertaker and self.undertaker != self.organ:
            return f"承办单位：{self.undertaker}"
        return None


_FIXED_TEXTS = ("编号：", "验证码：", VERIFY_LINE, "第 0123456789 页 共 {nb} 页", "：", "．", _INDENT)


def grouped_code(code: str) -> str:
    """A verification code as printed: in groups of four (the verification page ignores the spaces), so a
    line breaks between groups and a person copies it group by group."""
    compact = code.replace("-", "").replace(" ", "")
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def printed_url(url: str) -> str:
    """The link as printed under the QR code: without the signature, which only the QR code carries."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "sig"]
    return urlunsplit(parts._replace(query=urlencode(query, safe="")))


# ---------------------------------------------------------------------------------------------
# Rendering


class _Pdf(FPDF):
    """FPDF that refuses to draw any character its fonts lack, and numbers its pages."""

    def __init__(self, codepoints: frozenset[int], number: str | None, *, specimen: bool = False) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._codepoints = codepoints
        self._number = number
        self._specimen = specimen

    def header(self) -> None:
        """A demo's document says on every page, under everything else, that it is a specimen."""
        if not self._specimen:
            return
        self.set_font(FONT_FAMILY, size=72)
        self.set_text_color(236, 200, 200)
        with self.rotation(35, x=self.w / 2, y=self.h / 2):
            width = self.get_string_width(SPECIMEN)
            self.text(self.w / 2 - width / 2, self.h / 2 + 10, SPECIMEN)
        self.set_font(FONT_FAMILY, size=9)
        self.set_text_color(190, 30, 30)
        self.set_xy(self.l_margin, 8)
        self.cell(0, 5, SPECIMEN_LINE, align=Align.C)
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, self.t_margin)

    def normalize_text(self, text: str) -> str:
        check_glyphs((text,), self._codepoints)
        return super().normalize_text(text)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT_FAMILY, size=9)
        self.set_text_color(*_GREY)
        label = f"第 {self.page_no()} 页 共 {{nb}} 页"
        if self._number:
            label = f"编号：{self._number}    {label}"
        self.cell(0, 5, label, align=Align.C)
        self.set_text_color(0, 0, 0)


@dataclass(frozen=True)
class _Layout:
    """Type sizes and spacing (points for sizes, millimetres for heights and gaps)."""

    body: tuple[float, float] = (14, 8)  # paragraphs and items: size, line height
    table: tuple[float, float, float] = (12, 6.0, 1.2)  # size, line height, padding above and below
    gap: float = 6.0  # under the title block
    signature_gap: float = 10.0


NORMAL = _Layout()
# A certificate that would run onto a second page is set a little tighter, to stay on one.
COMPACT = _Layout(body=(13, 7), table=(11, 5.0, 0.8), gap=4.0, signature_gap=6.0)


def render(spec: DocumentSpec) -> bytes:
    """Render a document as A4 PDF bytes; the same spec gives the same bytes. A certificate (it carries a
    verification code) is kept on one page where a tighter setting allows."""
    if not spec.title.strip() or not spec.organ.strip():
        raise ValueError("a document needs a title and an issuing organ")
    if spec.verify_url and not spec.verification_code:
        raise ValueError("verify_url needs a verification_code")
    pdf = _made(spec, NORMAL)
    if spec.verification_code and pdf.page > 1:
        pdf = _made(spec, COMPACT)
    return bytes(pdf.output())


def _made(spec: DocumentSpec, layout: _Layout) -> _Pdf:
    texts = list(spec.texts())
    faces = faces_for(texts)
    # Only the characters the document prints are embedded: drawing any other one is refused.
    embedded = faces.printable(frozenset(ord(c) for text in texts for c in text))
    pdf = _Pdf(embedded, spec.number, specimen=spec.specimen)
    _add_font(pdf, FONT_FAMILY, faces.main, embedded & faces.main_codepoints)
    fallback_names = []
    for index, (path, codepoints) in enumerate(faces.fallbacks):
        name = f"fallback{index}"
        _add_font(pdf, name, path, codepoints, keep=False)
        fallback_names.append(name)
    if fallback_names:
        pdf.set_fallback_fonts(fallback_names, exact_match=False)
    issued = datetime(spec.issued_on.year, spec.issued_on.month, spec.issued_on.day, tzinfo=CHINA_TZ)
    pdf.set_creation_date(issued)
    pdf.set_title(spec.title)
    pdf.set_author(spec.organ)
    pdf.set_creator(spec.organ)
    pdf.set_lang("zh-CN")
    pdf.set_margins(_MARGIN_X, _MARGIN_TOP, _MARGIN_X)
    pdf.set_auto_page_break(True, margin=_MARGIN_BOTTOM)
    pdf.alias_nb_pages()
    pdf.add_page()
    _draw(pdf, spec, layout)
    return pdf


class _DocumentFace:
    """The `ttfont` fpdf2 writes a document's font from: its own font (flows.documents.fonts.embedded_font,
    only the glyphs of the characters it may print; drawing any other one is refused), saved as it was made,
    and the face's glyph ids turned into that font's. Everything else fpdf2 reads is the face's."""

    def __init__(self, face: TTFont, font: EmbeddedFont) -> None:
        self._face = face
        self._font = font

    def __contains__(self, tag: str) -> bool:
        return tag in self._face

    def getGlyphID(self, name: str) -> int:  # noqa: N802 - fontTools' name
        # fpdf2 reserves the space's code in every font; a document that prints no space maps it to .notdef.
        return self._font.glyph_ids.get(self._face.getGlyphID(name), 0)

    def save(self, file: Any, *_args: Any, **_kwargs: Any) -> None:
        file.write(self._font.data)

    def close(self) -> None:
        """fpdf2 closes a document's fonts after writing them; the face stays open for the next."""


class _Subsetter(ft_subset.Subsetter):  # type: ignore[misc]
    """fpdf2's subsetter, which leaves a document's own fonts (_DocumentFace) as they are made."""

    def subset(self, font: TTFont | _DocumentFace) -> None:
        if not isinstance(font, _DocumentFace):
            super().subset(font)


# fpdf2 subsets every font at output with fontTools' subsetter (fpdf/output.py imports the module as
# `ftsubset`): the same module, with the subsetter above, which changes nothing for any other font.
_SUBSETTING = SimpleNamespace(Options=ft_subset.Options, Subsetter=_Subsetter)
if getattr(fpdf_output, "ftsubset", None) is ft_subset:
    setattr(fpdf_output, "ftsubset", _SUBSETTING)  # noqa: B010


# Streams (the embedded font, the page, fpdf2's character maps) are compressed at zlib's fastest level: a
# notice ~1 ms faster, ~10 % larger (a certificate ~53 KB instead of ~48). fpdf2's class-wide setting, which
# only these documents and the demo's sample files use.
PDFContentStream._COMPRESSION_LEVEL = 1


_FACE_FONTS_LOCK = threading.Lock()


def _read_face_font(path: Path) -> TTFFont:
    """fpdf2's font object for the face at `path`: its widths, character map, descriptor."""
    font = TTFFont(FPDF(), path, "face", "")
    font.ttfont.getReverseGlyphMap()  # built now: documents rendered at once only read it
    return font


@functools.cache
def _face_font(path: Path) -> TTFFont:
    """A main face's font object, read once per process: ~3 ms a document would otherwise spend parsing its
    own font again."""
    return _read_face_font(path)


def prepare_fonts() -> None:
    """Read now (~2 s) what the first documents of a process would: the faces (flows.documents.fonts) and
    fpdf2's font object of each main face."""
    fonts.prepare_fonts()
    for path in main_faces():
        with _FACE_FONTS_LOCK:
            _face_font(path)


def _add_font(pdf: FPDF, family: str, path: Path, codepoints: frozenset[int], *, keep: bool = True) -> None:
    """`FPDF.add_font` for the document's own font made from the face at `path` (only `codepoints`):
    a copy of the face's font object, with what a document changes (the glyphs it uses) its own. A
    fallback face (`keep=False`: a subset made for this document's rare characters) is read and not kept,
    so that it never pushes a main face out of the process's caches."""
    if keep:
        with _FACE_FONTS_LOCK:
            face = _face_font(path)
    else:
        face = _read_face_font(path)
    font = copy.copy(face)
    font.i = len(pdf.fonts) + 1
    font.fontkey = family
    font.desc = copy.copy(face.desc)  # fpdf2 numbers it as an object of this PDF
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.ttfont = _DocumentFace(face.ttfont, embedded_font(path, codepoints, keep=keep))
    font.subset = SubsetMap(font)
    pdf.fonts[family] = font


def _write(pdf: FPDF, text: str, *, size: float, height: float, align: Align = Align.L,
           grey: bool = False) -> None:
    """A paragraph across the whole width, wrapped with `wrap` and aligned line by line."""
    if grey:
        pdf.set_text_color(*_GREY)
    _lines(pdf, text, size=size, height=height, align=align)
    pdf.set_text_color(0, 0, 0)


# A run of letters and digits (a credit code, licence or case number, a link with its "://") is never broken.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:(?:://|[-./:?=&_])[A-Za-z0-9]+)*|.", re.DOTALL)
# Punctuation that must not start a line: it stays at the end of the line before.
_NO_LINE_START = frozenset("，。、；：？！）》」』”’〕】…")


def _widths(pdf: FPDF) -> Callable[[str], tuple[int, float]]:
    """The width of a text at the current font, as fpdf2 reckons it, in two parts that add up: the main
    font's advance units, and (for characters a fallback font draws) millimetres."""
    font = pdf.current_font
    cmap, advances = getattr(font, "cmap", None), getattr(font, "cw", None)

    def width(text: str) -> tuple[int, float]:
        if cmap is None or advances is None:  # a core font: fpdf2 measures
            return 0, pdf.get_string_width(text)
        units, other = 0, 0.0
        for char in text:
            if ord(char) in cmap:
                units += advances[ord(char)]
            else:
                other += pdf.get_string_width(char)
        return units, other

    return width


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` at the current font, never inside a run of letters
    and digits (unless the run alone is wider than a line), never before closing punctuation."""
    measure = _widths(pdf)

    def fits(units: int, other: float) -> bool:  # in millimetres as fpdf2's get_string_width reckons them
        return units * pdf.font_size_pt * 0.001 / pdf.k + other <= width

    lines: list[str] = []
    line, units, other = "", 0, 0.0
    for token in _TOKEN.findall(text):
        token_units, token_other = measure(token)
        if fits(units + token_units, other + token_other) or not line or token in _NO_LINE_START:
            line, units, other = line + token, units + token_units, other + token_other
            continue
        lines.append(line)
        line, units, other = token, token_units, token_other
        while not fits(units, other) and len(line) > 1:  # a run wider than a line
            cut = len(line) - 1
            while cut > 1 and not fits(*measure(line[:cut])):
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
            units, other = measure(line)
    if line or not lines:
        lines.append(line)
    return lines


def _put(pdf: FPDF, x: float, width: float, height: float, text: str, align: Align = Align.L) -> None:
    """One line of text in the box `width` x `height` at (x, the current y), placed as `FPDF.cell` places
    it; the position is left as it was. A line the main font draws whole is written with `FPDF.text` (a
    fraction of a cell's cost: no fragments, no graphics state copied); one with a character a fallback
    font draws goes through `cell`, which picks the fonts."""
    cmap = getattr(pdf.current_font, "cmap", None)
    y = pdf.get_y()
    if cmap is None or not all(ord(char) in cmap for char in text):
        pdf.set_xy(x, y)
        pdf.cell(width, height, text, align=align)
        pdf.set_xy(x, y)
        return
    if not text:
        return
    if align == Align.L:
        dx = pdf.c_margin
    else:
        units, other = _widths(pdf)(text)
        text_width = units * pdf.font_size_pt * 0.001 / pdf.k + other
        dx = (width - text_width) / 2 if align == Align.C else width - pdf.c_margin - text_width
    pdf.text(x + dx, y + 0.5 * height + 0.3 * pdf.font_size, text)


def _lines(pdf: FPDF, text: str, *, size: float, height: float, indent: float = 0.0,
           align: Align = Align.L, width: float | None = None) -> None:
    """Draw `text` wrapped with `wrap`, starting `indent` mm right of the margin, `width` wide (to the
    right margin if not given); each line of the text (split at line breaks) wrapped on its own; a line
    that does not fit on the page starts the next one."""
    pdf.set_font(FONT_FAMILY, size=size)
    if width is None:
        width = pdf.w - pdf.l_margin - pdf.r_margin - indent
    for paragraph in text.split("\n"):
        for line in wrap(pdf, paragraph, width):
            if pdf.will_page_break(height):
                pdf.add_page()
            _put(pdf, pdf.l_margin + indent, width, height, line, align)
            pdf.set_xy(pdf.l_margin, pdf.get_y() + height)


def _paragraph(pdf: FPDF, text: str, layout: _Layout) -> None:
    size, height = layout.body
    for line in text.split("\n"):
        _lines(pdf, _INDENT + line.strip(), size=size, height=height)


def _draw(pdf: _Pdf, spec: DocumentSpec, layout: _Layout) -> None:
    if spec.province:
        _write(pdf, spec.province, size=10, height=5, align=Align.C, grey=True)
        pdf.ln(4)
    _write(pdf, spec.title, size=22, height=12, align=Align.C)
    if spec.number:
        pdf.ln(1)
        _write(pdf, f"编号：{spec.number}", size=12, height=7, align=Align.C)
    pdf.ln(layout.gap)
    if spec.addressee:
        _write(pdf, f"{spec.addressee}：", size=layout.body[0], height=layout.body[1])
    for text in spec.paragraphs:
        _paragraph(pdf, text, layout)
    if spec.items:
        pdf.ln(1)
        _items(pdf, spec.items)
    for text in spec.closing:
        _paragraph(pdf, text, layout)
    if spec.table:
        pdf.ln(layout.gap * 2 / 3)
        _table(pdf, spec.table, layout)
    _signature(pdf, spec, layout)
    if spec.footer:
        pdf.ln(4)
        _write(pdf, spec.footer, size=10, height=5.5, grey=True)


def _items(pdf: FPDF, items: Sequence[str]) -> None:
    pdf.set_font(FONT_FAMILY, size=14)
    indent = 8.0
    number_width = pdf.get_string_width(f"{len(items)}．") + 1
    for index, item in enumerate(items, start=1):
        if pdf.will_page_break(8):
            pdf.add_page()
        _put(pdf, pdf.l_margin + indent, number_width, 8, f"{index}．", Align.R)
        _lines(pdf, item, size=14, height=8, indent=indent + number_width)


# The table of a notice or certificate: the label column as wide as its longest label, within these shares.
_LABEL_SHARE = (0.25, 0.45)
_TABLE_PAD_X = 2.0


def _table(pdf: FPDF, rows: Sequence[tuple[str, str]], layout: _Layout) -> None:
    """A two-column table with ruled cells, the labels on a grey ground, each cell's lines wrapped with
    `wrap` and centred vertically in its row; a row that does not fit starts on the next page."""
    size, line, pad_y = layout.table
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.set_fill_color(*_LABEL_FILL)
    longest = max(pdf.get_string_width(label) for label, _ in rows) + 2 * _TABLE_PAD_X + 0.5
    label_width = min(max(longest, pdf.epw * _LABEL_SHARE[0]), pdf.epw * _LABEL_SHARE[1])
    widths = (label_width, pdf.epw - label_width)
    margin, pdf.c_margin = pdf.c_margin, 0.0
    for row in rows:
        cells = [wrap(pdf, text, width - 2 * _TABLE_PAD_X) for text, width in zip(row, widths, strict=True)]
        height = max(len(lines) for lines in cells) * line + 2 * pad_y
        if pdf.will_page_break(height):
            pdf.add_page()
        x, top = pdf.l_margin, pdf.get_y()
        for column, (lines, width) in enumerate(zip(cells, widths, strict=True)):
            pdf.rect(x, top, width, height, style="DF" if column == 0 else "D")
            y = top + (height - len(lines) * line) / 2
            for text in lines:
                pdf.set_y(y)
                _put(pdf, x + _TABLE_PAD_X, width - 2 * _TABLE_PAD_X, line, text)
                y += line
            x += width
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.c_margin = margin


def _signature(pdf: FPDF, spec: DocumentSpec, layout: _Layout) -> None:
    """The organ and the date at the right (its handling unit under them); the QR code and the
    verification code at the left, on the same lines, so a certificate keeps to one page."""
    has_code = bool(spec.verification_code)
    pdf.set_font(FONT_FAMILY, size=14)
    width = max(pdf.get_string_width(spec.organ), pdf.get_string_width(chinese_date(spec.issued_on))) + 4
    right = 16 + (6 if spec.undertaker_line else 0)
    block_width = width
    if spec.undertaker_line:
        pdf.set_font(FONT_FAMILY, size=10)
        block_width = max(width, pdf.get_string_width(spec.undertaker_line) + 2)
        pdf.set_font(FONT_FAMILY, size=14)
    if pdf.will_page_break(max(right, _QR_SIZE if has_code else 0) + 12):
        pdf.add_page()
    else:
        pdf.ln(layout.signature_gap)
    top = pdf.get_y()
    for text in (spec.organ, chinese_date(spec.issued_on)):
        _put(pdf, pdf.w - pdf.r_margin - width, width, 8, text, Align.C)
        pdf.set_xy(pdf.l_margin, pdf.get_y() + 8)
    if spec.undertaker_line:
        pdf.set_font(FONT_FAMILY, size=10)
        pdf.set_text_color(*_GREY)
        _put(pdf, pdf.w - pdf.r_margin - block_width, block_width, 6, spec.undertaker_line, Align.C)
        pdf.set_xy(pdf.l_margin, pdf.get_y() + 6)
        pdf.set_text_color(0, 0, 0)
    bottom = pdf.get_y()
    if spec.seal and drawable(spec.seal):
        pdf.image(_seal_image(pdf, spec.seal), x=pdf.w - pdf.r_margin - width / 2 - _SEAL_SIZE / 2,
                  y=top - 9, w=_SEAL_SIZE, h=_SEAL_SIZE, alt_text=f"印章：{spec.seal}")
    if not has_code:
        return
    assert spec.verification_code is not None
    text_x = pdf.l_margin
    if spec.verify_url:
        pdf.image(qr_image(spec.verify_url), x=pdf.l_margin, y=top, w=_QR_SIZE, h=_QR_SIZE, alt_text="核验二维码")
        text_x = pdf.l_margin + _QR_SIZE + 3
    text_width = pdf.w - pdf.r_margin - block_width - 4 - text_x
    pdf.set_y(top + 2)
    indent = text_x - pdf.l_margin
    _lines(pdf, "验证码：", size=10, height=5.5, indent=indent, width=text_width)
    code = grouped_code(spec.verification_code)
    pdf.set_font(FONT_FAMILY, size=10)
    if pdf.get_string_width(code) > text_width:  # two even lines of groups rather than one group left over
        groups = code.split(" ")
        code = " ".join(groups[:(len(groups) + 1) // 2]) + "\n" + " ".join(groups[(len(groups) + 1) // 2:])
    _lines(pdf, code, size=10, height=5.5, indent=indent, width=text_width)
    pdf.set_text_color(*_GREY)
    _lines(pdf, VERIFY_LINE, size=9, height=5, indent=indent, width=text_width)
    if spec.verify_url:
        _lines(pdf, printed_url(spec.verify_url), size=7, height=3.6, indent=indent, width=text_width)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), bottom, top + (_QR_SIZE if spec.verify_url else 0)))


_QR_DARK = bytes([255] + [0] * 255)  # a module of segno's matrix: 0 light (white), otherwise dark (black)


def qr_image(url: str, *, scale: int = 8, border: int = 2) -> Image.Image:
    """The QR code of `url` (error correction M) as a black-and-white image, the same pixels as segno's PNG
    at this scale and border, made without writing and reading a PNG."""
    rows = segno.make(url, error="m", micro=False).matrix
    size = len(rows) + 2 * border
    pixels = bytearray(b"\xff" * size * size)
    for y, row in enumerate(rows):
        start = (y + border) * size + border
        pixels[start:start + len(row)] = bytes(row).translate(_QR_DARK)
    image = Image.frombytes("L", (size, size), bytes(pixels))
    return image.resize((size * scale, size * scale), Image.Resampling.NEAREST).convert("1", dither=Image.Dither.NONE)


_SEALS: dict[str, Any] = {}  # the seal's image as fpdf2 parsed it, per seal text: parsed once per process
_SEALS_LOCK = threading.Lock()


def _seal_image(pdf: FPDF, text: str) -> io.BytesIO:
    """The seal's PNG for `pdf.image`, its parsed form put in the document's image cache beforehand, so that
    fpdf2 does not decode and compress the same picture again for every document."""
    png = seal_png(text)
    name = hashlib.md5(png.strip(), usedforsecurity=False).hexdigest()  # fpdf2's key for an image given as bytes
    with _SEALS_LOCK:
        parsed = _SEALS.get(text)
        if parsed is None:
            parsed = _SEALS[text] = get_img_info(name, io.BytesIO(png), pdf.image_cache.image_filter)
    images = pdf.image_cache.images
    if name not in images:
        info = type(parsed)(parsed)
        info.update(i=len(images) + 1, usages=0, iccp_i=None)
        images[name] = info
    return io.BytesIO(png)


# ---------------------------------------------------------------------------------------------
# Builders


@dataclass(frozen=True)
class Issuer:
    """Who issues a document: the administrative organ, its handling unit, and the province's name."""

    organ: str
    undertaker: str | None
    province: str
    seal: str | None = None
    reconsideration: str = ""  # who hears a 行政复议 against its decisions (refusals name it)
    specimen: bool = False  # the demo's: its documents are marked 演示样本
    contact: str = ""  # the office to phone, as notices print it: 0991-2310110（乌鲁木齐市公安局治安管理支队）


@dataclass(frozen=True)
class Application:
    """Which application a notice is about."""

    case_number: str
    matter: str  # the business applied for (the kind's title)
    unit_name: str
    credit_code: str
    submitted_on: date  # in China time


def _rows(
    *pairs: tuple[str, str | None], details: Sequence[tuple[str, str]] = ()
) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for label, value in pairs if value) + tuple(details)


def _application_rows(app: Application) -> tuple[tuple[str, str], ...]:
    """The four rows every notice about an application opens its table with."""
    return (("办件编号", app.case_number), ("申请单位", app.unit_name), ("统一社会信用代码", app.credit_code),
            ("申请事项", app.matter))


def _examined(app: Application) -> str:
    """How a decision on an application opens: which application, and that it was examined."""
    return f"你单位于{chinese_date(app.submitted_on)}提交的{app.matter}申请（办件编号：{app.case_number}），经审查，"


def _spec(title: str, number: str, issuer: Issuer, issued_on: date, **fields: object) -> DocumentSpec:
    """A document of `issuer`; a notice or decision (no footer of its own) ends with the office to phone."""
    if "footer" not in fields and issuer.contact:
        fields["footer"] = f"联系电话：{issuer.contact}"
    return DocumentSpec(title=title, number=number, organ=issuer.organ, undertaker=issuer.undertaker,
                        seal=issuer.seal, province=issuer.province, issued_on=issued_on, specimen=issuer.specimen,
                        **fields)  # type: ignore[arg-type]


def acceptance_notice(*, number: str, application: Application, issuer: Issuer, issued_on: date,
                      time_limits: Sequence[str] = ()) -> DocumentSpec:
    """受理通知书: the organ accepted the case; `time_limits`: what each stage's limit is (with dates)."""
    app = application
    paragraphs = [
        f"你单位于{chinese_date(app.submitted_on)}通过网上办事系统提交的{app.matter}申请（办件编号：{app.case_number}）"
        "收悉。经审查，申请材料齐全，符合法定形式，本机关决定予以受理。",
        *time_limits,
        "你单位可登录网上办事系统查询办理进度。",
    ]
    return _spec("受理通知书", number, issuer, issued_on, addressee=app.unit_name, paragraphs=tuple(paragraphs),
                 table=_rows(*_application_rows(app), ("提交日期", chinese_date(app.submitted_on)),
                             ("受理日期", chinese_date(issued_on))))


def correction_notice(*, number: str, application: Application, issuer: Issuer, issued_on: date,
                      items: Sequence[tuple[str, str]], note: str | None = None) -> DocumentSpec:
    """补正材料告知书: everything to correct, told at once (`items`: (material or field, reason))."""
    if not items and not (note and note.strip()):
        raise DomainError("退回补正时须至少列明一项需要补正的内容。")
    for what, why in items:
        if not what.strip() or not why.strip():
            raise DomainError("每一项补正内容都须写明材料或事项，以及需要补正的原因。")
    closing = []
    if note and note.strip():
        closing.append(f"其他说明：{note.strip()}")
    closing.append(
        "以上为需要补正的全部内容，特此一次性告知。请你单位登录网上办事系统，在原办件中按上述事项逐项补正后"
        "重新提交。原办件编号不变，无需补正的材料不必重复上传。办理时限自补正材料齐全之日起重新计算。"
    )
    return _spec("补正材料告知书", number, issuer, issued_on, addressee=application.unit_name,
                 paragraphs=(_examined(application) + "申请材料不齐全或者不符合法定形式。"
                             "现将需要补正的全部内容一次性告知如下：",),
                 items=tuple(f"{what.strip()}：{why.strip()}" for what, why in items), closing=tuple(closing),
                 table=_rows(*_application_rows(application)))


def refusal_decision(*, title: str, verb: str, number: str, application: Application, issuer: Issuer,
                     issued_on: date, reasons: Sequence[str]) -> DocumentSpec:
    """The final refusal (不予备案决定书 / 不予通过决定书), with its reasons and the applicant's remedies."""
    cleaned = tuple(r.strip() for r in reasons if r.strip())
    if not cleaned:
        raise DomainError(f"{verb}须写明理由。")
    if not issuer.reconsideration:
        raise ValueError("a refusal names the organ that hears an application for 行政复议")
    return _spec(title, number, issuer, issued_on, addressee=application.unit_name,
                 paragraphs=(_examined(application) + f"本机关决定{verb}。理由如下：",), items=cleaned,
                 closing=(remedies(issuer.reconsideration),), table=_rows(*_application_rows(application)))


def certificate(*, title: str, number: str, issuer: Issuer, issued_on: date, addressee: str | None,
                paragraphs: Sequence[str], table: Sequence[tuple[str, str]], verification_code: str,
                verify_url: str, closing: Sequence[str] = (), footer: str | None = None) -> DocumentSpec:
    """A certificate (备案证明, 撤销备案证明, 审核意见书): what the kind's definition says it states."""
    return _spec(title, number, issuer, issued_on, addressee=addressee, paragraphs=tuple(paragraphs),
                 closing=tuple(closing), table=tuple((label, value) for label, value in table if value),
                 verification_code=verification_code, verify_url=verify_url, footer=footer or None)


__all__ = ["MissingGlyph", "prepare_fonts", "unprintable", "render", "acceptance_notice", "correction_notice",
           "refusal_decision", "certificate", "chinese_date", "printed_url"]
