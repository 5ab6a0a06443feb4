"""Certificates and notices as A4 PDFs in Chinese (fpdf2, WenQuanYi Micro Hei embedded as a subset).

A legal document must never lose a character: every text is checked against the font's
character map before anything is drawn, and a character the font lacks raises `MissingGlyph`.

Speed: fpdf2 parses the whole font for every document, 0.45-0.7 s for the full font (34,600
glyphs), and subsets it again on output. So documents use the smallest of three faces that holds
all their characters, each drawing the same glyphs: a reduced copy with Latin and the 3,755
frequent characters of GB2312 level 1 (about 4,500 glyphs: most documents), one with all of
GB2312 (8,500 glyphs: a name with 琰 or 昊, say), or the full font (喆, 堃). A reduced copy is
built once per process on first need (or by `prepare_fonts()`), about 1 s, in a private temporary
directory.

The QR code's link carries the organ's signature of what the certificate states (flows/signing.py);
the link printed under it leaves the signature out.
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import segno
from fontTools import subset as ft_subset
from fontTools import ttLib
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import Align, WrapMode

from flows.errors import DomainError

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_RESOURCE = ("fonts", "wqy-microhei.ttc")
FONT_FAMILY = "wqy"

CHINA_TZ = timezone(timedelta(hours=8))

REMEDIES = (
    "如不服本决定，可以自收到本决定书之日起60日内依法申请行政复议，"
    "或者在6个月内依法向人民法院提起行政诉讼。"
)
VERIFY_LINE = "扫码或登录验证页面输入验证码核验真伪"

MATTER_A = "保安服务公司法定代表人变更"
MATTER_B = "保安服务公司跨省（自治区、直辖市）提供服务备案"
MATTER_C = "自行招用保安员单位备案"
MATTER_D = "自行招用保安员单位撤销备案"

# Layout, in millimetres and points.
_MARGIN_X = 25.0
_MARGIN_TOP = 22.0
_MARGIN_BOTTOM = 22.0
_QR_SIZE = 30.0
_GREY = (90, 90, 90)
_LABEL_FILL = (242, 242, 242)
_INDENT = "\u3000\u3000"


class MissingGlyph(DomainError):
    """Text holds a character the document font cannot show; the document is not produced."""

    def __init__(self, char: str) -> None:
        shown = char if char.isprintable() else "?"
        super().__init__(
            f"文书中的“{shown}”字（U+{ord(char):04X}）无法用文书字体显示，文书未生成。请联系管理员处理。"
        )
        self.char = char


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

    def texts(self) -> Iterator[str]:
        """Every piece of text the document prints, fixed labels included."""
        yield from (self.title, self.organ, chinese_date(self.issued_on), self.province)
        for optional in (self.number, self.addressee, self.verification_code, self.verify_url, self.footer):
            if optional:
                yield optional
        yield from self.paragraphs
        yield from self.closing
        for label, value in self.table:
            yield label
            yield value
        yield from self.items
        yield from _FIXED_TEXTS


_FIXED_TEXTS = ("编号：", "验证码：", VERIFY_LINE, "第 0123456789 页 共 页", "：", "．")


def printed_url(url: str) -> str:
    """The link as printed under the QR code: without the signature, which only the QR code carries."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "sig"]
    return urlunsplit(parts._replace(query=urlencode(query, safe="")))


def chinese_date(day: date) -> str:
    """A date as written on Chinese documents: 2026年11月27日."""
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------
# Font


def _font_file() -> Path:
    ref = resources.files(FONT_PACKAGE).joinpath(*FONT_RESOURCE)
    path = Path(str(ref))
    if not path.is_file():  # pragma: no cover - the package is always installed unzipped
        raise RuntimeError(f"font file not found: {ref}")
    return path


@functools.cache
def font_codepoints() -> frozenset[int]:
    """The code points the document font (WenQuanYi Micro Hei, face 0 of the .ttc) can show."""
    font = ttLib.TTFont(_font_file(), fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def check_glyphs(texts: Iterable[str], codepoints: frozenset[int] | None = None) -> None:
    """Raise `MissingGlyph` for the first character (other than a line break) the font lacks."""
    available = font_codepoints() if codepoints is None else codepoints
    for text in texts:
        for char in text:
            if char != "\n" and ord(char) not in available:
                raise MissingGlyph(char)


def _in_common_set(codepoint: int) -> bool:
    """ASCII, Latin, symbols and every GB2312 character."""
    if codepoint < 0x3000:
        return True
    try:
        chr(codepoint).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _in_frequent_set(codepoint: int) -> bool:
    """Latin, general punctuation, GB2312's symbol rows and its level 1 (the 3,755 frequent characters)."""
    if codepoint < 0x0250 or 0x2000 <= codepoint < 0x2070:
        return True
    try:
        encoded = chr(codepoint).encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and encoded[0] <= 0xD7


class _ReducedFont:
    """A reduced copy of the font holding the code points `wanted` accepts, written once per process."""

    def __init__(self, name: str, wanted: Callable[[int], bool]) -> None:
        self._name = name
        self._wanted = wanted
        self._lock = threading.Lock()
        self._data: bytes | None = None
        self._codepoints: frozenset[int] = frozenset()
        self._dir: str | None = None

    def codepoints(self) -> frozenset[int]:
        with self._lock:
            self._build()
        return self._codepoints

    def path(self) -> Path:
        with self._lock:
            self._build()
            assert self._data is not None and self._dir is not None
            path = Path(self._dir) / f"wqy-microhei-{self._name}.ttf"
            # A temp cleaner may have removed it from a long-running process: write it again.
            if not path.is_file() or path.stat().st_size != len(self._data):
                os.makedirs(self._dir, mode=0o700, exist_ok=True)
                path.write_bytes(self._data)
            return path

    def _build(self) -> None:
        if self._data is not None:
            return
        font = ttLib.TTFont(_font_file(), fontNumber=0, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        try:
            keep = [cp for cp in font.getBestCmap() if self._wanted(cp)]
            options = ft_subset.Options(
                notdef_outline=True,
                recommended_glyphs=True,
                glyph_names=False,
                name_IDs=["*"],
                name_languages=["*"],
                name_legacy=True,
            )
            options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF"]
            subsetter = ft_subset.Subsetter(options)
            subsetter.populate(unicodes=keep)
            subsetter.subset(font)
            out = io.BytesIO()
            font.save(out)
        finally:
            font.close()
        directory = tempfile.mkdtemp(prefix="filing-font-")
        atexit.register(shutil.rmtree, directory, True)
        self._dir = directory
        self._codepoints = frozenset(keep)
        self._data = out.getvalue()


_FREQUENT_FONT = _ReducedFont("frequent", _in_frequent_set)
_COMMON_FONT = _ReducedFont("common", _in_common_set)


def prepare_fonts() -> None:
    """Build the reduced fonts now (about 1 s each) rather than during the first documents."""
    font_codepoints()
    _FREQUENT_FONT.path()
    _COMMON_FONT.path()


def _face_for(texts: Sequence[str]) -> tuple[Path, frozenset[int]]:
    """The smallest face holding every character of the document."""
    used = {ord(c) for text in texts for c in text if c != "\n"}
    for reduced in (_FREQUENT_FONT, _COMMON_FONT):
        codepoints = reduced.codepoints()
        if used <= codepoints:
            return reduced.path(), codepoints
    return _font_file(), font_codepoints()


# ---------------------------------------------------------------------------------------------
# Rendering


class _Pdf(FPDF):
    """FPDF that refuses to draw any character its font lacks, and numbers its pages."""

    def __init__(self, codepoints: frozenset[int], number: str | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._codepoints = codepoints
        self._number = number

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


def render(spec: DocumentSpec) -> bytes:
    """Render a document as A4 PDF bytes; the same spec gives the same bytes."""
    if not spec.title.strip() or not spec.organ.strip():
        raise ValueError("a document needs a title and an issuing organ")
    if spec.verify_url and not spec.verification_code:
        raise ValueError("verify_url needs a verification_code")
    texts = list(spec.texts())
    full = font_codepoints()
    check_glyphs(texts, full)

    font_path, codepoints = _face_for(texts)

    pdf = _Pdf(codepoints, spec.number)
    pdf.add_font(FONT_FAMILY, fname=font_path)
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
    _draw(pdf, spec)
    return bytes(pdf.output())


def _write(pdf: FPDF, text: str, *, size: float, height: float, align: Align = Align.L,
           grey: bool = False) -> None:
    pdf.set_font(FONT_FAMILY, size=size)
    if grey:
        pdf.set_text_color(*_GREY)
    pdf.multi_cell(0, height, text, align=align, wrapmode=WrapMode.CHAR,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _paragraph(pdf: FPDF, text: str) -> None:
    for line in text.split("\n"):
        _write(pdf, _INDENT + line.strip(), size=14, height=8, align=Align.J)


def _draw(pdf: _Pdf, spec: DocumentSpec) -> None:
    if spec.province:
        _write(pdf, spec.province, size=10, height=5, align=Align.C, grey=True)
        pdf.ln(4)
    _write(pdf, spec.title, size=22, height=12, align=Align.C)
    if spec.number:
        pdf.ln(1)
        _write(pdf, f"编号：{spec.number}", size=12, height=7, align=Align.C)
    pdf.ln(6)
    if spec.addressee:
        _write(pdf, f"{spec.addressee}：", size=14, height=8)
    for text in spec.paragraphs:
        _paragraph(pdf, text)
    if spec.items:
        pdf.ln(1)
        _items(pdf, spec.items)
    for text in spec.closing:
        _paragraph(pdf, text)
    if spec.table:
        pdf.ln(4)
        _table(pdf, spec.table)
    _signature(pdf, spec)
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
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(number_width, 8, f"{index}．", align=Align.R)
        pdf.set_xy(pdf.l_margin + indent + number_width, y)
        pdf.multi_cell(0, 8, item, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    pdf.set_font(FONT_FAMILY, size=12)
    label_style = FontFace(emphasis="", fill_color=_LABEL_FILL)
    with pdf.table(
        col_widths=(32, 68),
        first_row_as_headings=False,
        headings_style=FontFace(emphasis=""),
        line_height=7,
        text_align=(Align.L, Align.L),
        wrapmode=WrapMode.CHAR,
        padding=(1.5, 2),
        v_align="MIDDLE",
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=label_style)
            row.cell(value)


def _signature(pdf: FPDF, spec: DocumentSpec) -> None:
    has_code = bool(spec.verification_code)
    block = 8 + 16 + ((_QR_SIZE + 6) if has_code else 0)
    if pdf.will_page_break(block + 10):
        pdf.add_page()
    else:
        pdf.ln(10)
    pdf.set_font(FONT_FAMILY, size=14)
    width = max(pdf.get_string_width(spec.organ), pdf.get_string_width(chinese_date(spec.issued_on))) + 4
    for text in (spec.organ, chinese_date(spec.issued_on)):
        pdf.set_x(pdf.w - pdf.r_margin - width)
        pdf.cell(width, 8, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not has_code:
        return
    assert spec.verification_code is not None
    pdf.ln(6)
    top = pdf.get_y()
    text_x = pdf.l_margin
    if spec.verify_url:
        qr = segno.make(spec.verify_url, error="m", micro=False)
        image = io.BytesIO()
        qr.save(image, kind="png", scale=8, border=2)
        image.seek(0)
        pdf.image(image, x=pdf.l_margin, y=top, w=_QR_SIZE, h=_QR_SIZE, alt_text="核验二维码")
        text_x = pdf.l_margin + _QR_SIZE + 4
    pdf.set_xy(text_x, top + 4)
    pdf.set_font(FONT_FAMILY, size=12)
    pdf.cell(0, 7, f"验证码：{spec.verification_code}", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=10)
    pdf.set_text_color(*_GREY)
    pdf.cell(0, 6, VERIFY_LINE, new_x=XPos.LEFT, new_y=YPos.NEXT)
    if spec.verify_url:
        pdf.set_font(FONT_FAMILY, size=8)
        pdf.multi_cell(0, 4.5, printed_url(spec.verify_url), wrapmode=WrapMode.CHAR, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + (_QR_SIZE if spec.verify_url else 0)))


# ---------------------------------------------------------------------------------------------
# Builders


def _rows(
    *pairs: tuple[str, str | None], details: Sequence[tuple[str, str]] = ()
) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for label, value in pairs if value) + tuple(details)


def _application_rows(case_number: str, unit_name: str, credit_code: str, matter: str) -> tuple[
        tuple[str, str], ...]:
    """The four rows every notice about an application opens its table with."""
    return (("办件编号", case_number), ("申请单位", unit_name), ("统一社会信用代码", credit_code), ("申请事项", matter))


def _examined(submitted_on: date, matter: str, case_number: str) -> str:
    """How a decision on an application opens: which application, and that it was examined."""
    return f"你单位于{chinese_date(submitted_on)}提交的{matter}申请（办件编号：{case_number}），经审查，"


def acceptance_notice(
    *,
    number: str,
    case_number: str,
    matter: str,
    unit_name: str,
    credit_code: str,
    submitted_on: date,
    organ: str,
    issued_on: date,
    province: str,
    due_on: date | None = None,
    details: Sequence[tuple[str, str]] = (),
    verification_code: str | None = None,
    verify_url: str | None = None,
) -> DocumentSpec:
    """受理通知书: the organ accepted the case (`due_on`: the date it is to be finished by)."""
    paragraphs = [
        f"你单位于{chinese_date(submitted_on)}通过网上办事系统提交的{matter}申请（办件编号：{case_number}）"
        "收悉。经审查，申请材料齐全，符合法定形式，本机关决定予以受理。",
    ]
    if due_on is not None:
        paragraphs.append(f"本机关将依照规定时限办理，预计于{chinese_date(due_on)}前办结。")
    paragraphs.append("你单位可登录网上办事系统查询办理进度。")
    return DocumentSpec(
        title="受理通知书",
        number=number,
        organ=organ,
        issued_on=issued_on,
        addressee=unit_name,
        paragraphs=tuple(paragraphs),
        table=_rows(
            *_application_rows(case_number, unit_name, credit_code, matter),
            ("提交日期", chinese_date(submitted_on)),
            ("受理日期", chinese_date(issued_on)),
            details=details,
        ),
        verification_code=verification_code,
        verify_url=verify_url,
        province=province,
    )


def correction_notice(
    *,
    number: str,
    case_number: str,
    matter: str,
    unit_name: str,
    credit_code: str,
    submitted_on: date,
    organ: str,
    issued_on: date,
    province: str,
    items: Sequence[tuple[str, str]],
    note: str | None = None,
    verification_code: str | None = None,
    verify_url: str | None = None,
) -> DocumentSpec:
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
    return DocumentSpec(
        title="补正材料告知书",
        number=number,
        organ=organ,
        issued_on=issued_on,
        addressee=unit_name,
        paragraphs=(
            _examined(submitted_on, matter, case_number) +
            "申请材料不齐全或者不符合法定形式。现将需要补正的全部内容一次性告知如下：",
        ),
        items=tuple(f"{what.strip()}：{why.strip()}" for what, why in items),
        closing=tuple(closing),
        table=_rows(*_application_rows(case_number, unit_name, credit_code, matter)),
        verification_code=verification_code,
        verify_url=verify_url,
        province=province,
    )


def rejection_decision(
    *,
    number: str,
    case_number: str,
    matter: str,
    unit_name: str,
    credit_code: str,
    submitted_on: date,
    organ: str,
    issued_on: date,
    province: str,
    reasons: Sequence[str],
    verification_code: str | None = None,
    verify_url: str | None = None,
) -> DocumentSpec:
    """不予通过决定书: the final refusal, with its reasons and the applicant's remedies."""
    cleaned = tuple(r.strip() for r in reasons if r.strip())
    if not cleaned:
        raise DomainError("不予通过须写明理由。")
    return DocumentSpec(
        title="不予通过决定书",
        number=number,
        organ=organ,
        issued_on=issued_on,
        addressee=unit_name,
        paragraphs=(
            _examined(submitted_on, matter, case_number) +
            "本机关决定不予通过。理由如下：",
        ),
        items=cleaned,
        closing=(REMEDIES,),
        table=_rows(*_application_rows(case_number, unit_name, credit_code, matter)),
        verification_code=verification_code,
        verify_url=verify_url,
        province=province,
    )


def filing_certificate(
    *,
    kind: Literal["B", "C"],
    number: str,
    case_number: str,
    unit_name: str,
    credit_code: str,
    organ: str,
    issued_on: date,
    province: str,
    verification_code: str,
    verify_url: str,
    details: Sequence[tuple[str, str]] = (),
) -> DocumentSpec:
    """备案证明 for kind B (cross-province service) or C (unit recruiting its own guards)."""
    if kind == "B":
        matter = MATTER_B
        what = "跨省（自治区、直辖市）提供保安服务"
        footer = "本证明仅证明上述单位跨省（自治区、直辖市）提供保安服务的事项已经备案。"
    elif kind == "C":
        matter = MATTER_C
        what = "自行招用保安员"
        footer = (
            "自行招用保安员单位不再招用保安员进行保安服务的，"
            "应当自停止保安服务之日起30日内到原备案机关撤销备案。"
        )
    else:
        raise ValueError(f"filing certificates exist for kinds B and C, not {kind!r}")
    return DocumentSpec(
        title="备案证明",
        number=number,
        organ=organ,
        issued_on=issued_on,
        addressee=None,
        paragraphs=(
            f"{unit_name}（统一社会信用代码：{credit_code}）{what}的备案材料，经本机关审核，已予备案。"
            "特此证明。",
        ),
        table=_rows(
            ("备案编号", number),
            ("备案单位", unit_name),
            ("统一社会信用代码", credit_code),
            ("备案事项", matter),
            ("备案日期", chinese_date(issued_on)),
            ("办件编号", case_number),
            details=details,
        ),
        verification_code=verification_code,
        verify_url=verify_url,
        footer=footer,
        province=province,
    )


def cancellation_certificate(
    *,
    number: str,
    case_number: str,
    unit_name: str,
    credit_code: str,
    original_number: str,
    stopped_on: date,
    organ: str,
    issued_on: date,
    province: str,
    verification_code: str,
    verify_url: str,
    details: Sequence[tuple[str, str]] = (),
) -> DocumentSpec:
    """撤销备案证明 (kind D); `original_number` is the filing being cancelled."""
    return DocumentSpec(
        title="撤销备案证明",
        number=number,
        organ=organ,
        issued_on=issued_on,
        addressee=None,
        paragraphs=(
            f"{unit_name}（统一社会信用代码：{credit_code}）于{chinese_date(stopped_on)}停止自行招用保安员"
            f"进行保安服务，申请撤销自行招用保安员单位备案（原备案编号：{original_number}）。经本机关审核，"
            "准予撤销备案，原备案自本证明出具之日起失效。特此证明。",
        ),
        table=_rows(
            ("证明编号", number),
            ("单位名称", unit_name),
            ("统一社会信用代码", credit_code),
            ("撤销事项", MATTER_D),
            ("原备案编号", original_number),
            ("停止保安服务日期", chinese_date(stopped_on)),
            ("撤销备案日期", chinese_date(issued_on)),
            ("办件编号", case_number),
            details=details,
        ),
        verification_code=verification_code,
        verify_url=verify_url,
        province=province,
    )


def review_document(
    *,
    number: str,
    case_number: str,
    unit_name: str,
    credit_code: str,
    licence_number: str,
    old_representative: str,
    new_representative: str,
    organ: str,
    issued_on: date,
    province: str,
    verification_code: str,
    verify_url: str,
    details: Sequence[tuple[str, str]] = (),
) -> DocumentSpec:
    """审核意见书 (kind A): the change of legal representative is approved, for market regulation."""
    return DocumentSpec(
        title="保安服务公司变更法定代表人审核意见书",
        number=number,
        organ=organ,
        issued_on=issued_on,
        addressee=unit_name,
        paragraphs=(
            f"你公司（统一社会信用代码：{credit_code}，保安服务许可证号：{licence_number}）申请将法定代表人"
            f"由{old_representative}变更为{new_representative}（办件编号：{case_number}）。经审核，"
            f"拟任法定代表人{new_representative}符合《保安服务管理条例》规定的条件，同意你公司变更法定代表人。",
            "请持本意见书到市场监督管理部门办理法定代表人变更登记。",
        ),
        table=_rows(
            ("公司名称", unit_name),
            ("统一社会信用代码", credit_code),
            ("保安服务许可证号", licence_number),
            ("原法定代表人", old_representative),
            ("拟任法定代表人", new_representative),
            ("审核结果", "同意变更"),
            ("办件编号", case_number),
            details=details,
        ),
        verification_code=verification_code,
        verify_url=verify_url,
        province=province,
    )
