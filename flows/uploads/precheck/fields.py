"""Finding the values a paper carries in recognised text: credit code, ID number, names, licence number.

Input is what an OCR engine (or a text PDF) gives: pieces of text with their boxes on the page. Pieces on
one line are grouped into rows; a label (名称, 姓名, 编号) is found in a row and the value is what follows it,
in the same piece or the next one to the right. Identifiers are checked with the product's own checks
(flows.filing.identifiers): a code that fails its check characters is a misread, never a mismatch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flows.errors import FieldError
from flows.filing.identifiers import check_resident_id, check_uscc
from flows.filing.schema import Paper, ReadField
from flows.uploads.precheck.reading import ReadValue

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page pixels


@dataclass(frozen=True)
class Piece:
    """A piece of recognised text and where it is (no box: text from a text PDF)."""

    text: str
    box: Box | None = None
    score: float = 1.0


@dataclass(frozen=True)
class PageText:
    """All pieces of one page, and the page's size in the same pixels as the boxes."""

    page: int
    pieces: tuple[Piece, ...]
    width: float = 0.0
    height: float = 0.0


# Characters never used in a credit code that OCR reads in place of ones that are (GB 32100: no I, O, S, V, Z).
_USCC_FIX = str.maketrans({"O": "0", "I": "1", "S": "5", "Z": "2", "V": "U"})
_ID_FIX = str.maketrans({"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "×": "X"})
_ALNUM_RUN = re.compile(r"[0-9A-Z]+")
_ID_RUN = re.compile(r"[0-9X]+")
_SEPARATORS = ":：;；,，.。 \t|“”\"'`’‘()（）[]【】<>《》〈〉_-—~"
_NAME_ENDINGS = ("公司", "局", "中心", "院", "会", "所", "厂", "店", "社", "部", "站", "馆", "处", "队", "校", "园", "行")
_UNIT_LABELS = ("公司名称", "单位名称", "名称")
_STOP_LABELS = ("注册资本", "类型", "法定代表人", "成立日期", "营业期限", "住所", "经营范围", "负责人", "宗旨",
                "开办资金", "举办单位", "住址", "性别", "民族", "出生", "公民身份号码", "注册号")
_LICENCE = re.compile(r"[\u4e00-\u9fff]{1,2}公保服字?[\[［(（〔]?\d{4}[\]］)）〕]?\d{1,6}号")


def normalise(text: str) -> str:
    """Full-width to ASCII, no whitespace, upper case: how identifiers are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def normalise_name(text: str) -> str:
    """A name as compared: full-width folded, no spaces or quotes, one kind of bracket and middle dot."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\s\"'“”‘’]+", "", text)
    text = text.replace("(", "（").replace(")", "）")
    return re.sub(r"[.•・･∙⋅]", "·", text)


def where_on_page(box: Box | None, width: float, height: float) -> str:
    """"左上部", "中部", "右下部" ... from the box's centre; empty without a box."""
    if box is None or width <= 0 or height <= 0:
        return ""
    cx, cy = (box[0] + box[2]) / 2 / width, (box[1] + box[3]) / 2 / height
    col = "左" if cx < 0.38 else "右" if cx > 0.62 else "中"
    row = "上" if cy < 0.36 else "下" if cy > 0.64 else "中"
    return "中部" if (col, row) == ("中", "中") else f"{col}{row}部" if col != "中" else f"{row}部"


# ------------------------------------------------------------------ rows
@dataclass(frozen=True)
class Row:
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return "".join(normalise_name(p.text) for p in self.pieces)


def rows_of(page: PageText) -> list[Row]:
    """Pieces grouped into lines (reading order); text-PDF lines stay one row each."""
    boxed = [p for p in page.pieces if p.box is not None]
    rows: list[list[Piece]] = [[p] for p in page.pieces if p.box is None]
    lines: list[list[Piece]] = []
    for piece in sorted(boxed, key=lambda p: (p.box[1] + p.box[3]) / 2 if p.box else 0):
        assert piece.box is not None
        cy, h = (piece.box[1] + piece.box[3]) / 2, piece.box[3] - piece.box[1]
        for line in lines:
            first = line[0].box
            assert first is not None
            if abs((first[1] + first[3]) / 2 - cy) < 0.5 * max(h, first[3] - first[1]):
                line.append(piece)
                break
        else:
            lines.append([piece])
    for line in lines:
        rows.append(sorted(line, key=lambda p: p.box[0] if p.box else 0))
    return [Row(tuple(r)) for r in rows]


def _owners(row: Row) -> tuple[str, list[int]]:
    text, owners = "", []
    for index, piece in enumerate(row.pieces):
        part = normalise_name(piece.text)
        text += part
        owners += [index] * len(part)
    return text, owners


def _value_after(row: Row, labels: Sequence[str]) -> tuple[str, Piece] | None:
    """The text following the first of `labels` in the row: the rest of its piece, else the next piece."""
    text, owners = _owners(row)
    for label in labels:
        start = text.find(label)
        if start < 0:
            continue
        end = start + len(label)
        while end < len(text) and text[end] in _SEPARATORS:
            end += 1
        if end >= len(text):
            return None
        owner = owners[end]
        if end > start + len(label) or owners[end - 1] == owner:  # same piece: the rest of it
            value = "".join(ch for ch, o in zip(text[end:], owners[end:], strict=True) if o == owner)
        else:
            value = normalise_name(row.pieces[owner].text)
        for stop in _STOP_LABELS:  # a piece that runs on into the next column's label
            cut = value.find(stop)
            if cut > 0:
                value = value[:cut]
        value = value.strip(_SEPARATORS)
        return (value, row.pieces[owner]) if value else None
    return None


def _continuation(rows: list[Row], index: int, piece: Piece, value: str) -> str:
    """A long name wraps: add the piece right below the value, in the same column, if it is no label."""
    if piece.box is None or value.endswith(_NAME_ENDINGS) or index + 1 >= len(rows):
        return value
    x0, height = piece.box[0], piece.box[3] - piece.box[1]
    for below in rows[index + 1].pieces:
        if below.box is None:
            continue
        if abs(below.box[0] - x0) < 1.5 * height and 0 < below.box[1] - piece.box[3] < 1.6 * height:
            text = normalise_name(below.text)
            if not any(label in text for label in _STOP_LABELS):
                return value + text
    return value


# ------------------------------------------------------------------ identifiers
def _runs(text: str, pattern: re.Pattern[str], fix: dict[int, str]) -> Iterable[str]:
    return pattern.findall(normalise(text).translate(fix))


def _valid_uscc(code: str) -> bool:
    try:
        check_uscc(code)
    except FieldError:
        return False
    return True


def _valid_id(number: str) -> bool:
    try:
        check_resident_id(number)
    except FieldError:
        return False
    return True


def _uscc_candidates(text: str) -> list[str]:
    found = []
    for run in _ALNUM_RUN.findall(normalise(text)):
        if len(run) == 18:
            found.append(run.translate(_USCC_FIX))
        elif 16 <= len(run) <= 19 and run[:1] in "15679Y" and run[1:2].isdigit():
            found.append(run)  # a code with a character lost or added: a misread
    return found


def _id_candidates(text: str) -> list[str]:
    """Runs of ID-number characters; a run of 19 also as its two runs of 18 (the edge of the label beside
    the number is often read as one more character): the check digit tells which, if either, is right."""
    found = []
    for run in _ID_RUN.findall(normalise(text).translate(_ID_FIX)):
        if 17 <= len(run) <= 19:
            found.append(run)
        if len(run) == 19:
            found += [run[1:], run[:-1]]
    return found


def _identifier(page: PageText, paper: str, read_field: str) -> list[ReadValue]:
    """Every code (or ID number) on the page, each marked valid or not by its check characters."""
    candidates, valid = (_uscc_candidates, _valid_uscc) if read_field == ReadField.CREDIT_CODE \
        else (_id_candidates, _valid_id)
    found: list[ReadValue] = []
    for row in rows_of(page):
        pieces = list(row.pieces)
        texts = [(normalise(p.text), p) for p in pieces]
        joined = "".join(t for t, _ in texts)  # a code split over two pieces of one line
        for text, piece in [*texts, (joined, pieces[0])]:
            for value in candidates(text):
                found.append(ReadValue(paper=paper, field=read_field, value=value, page=page.page,
                                       where=where_on_page(piece.box, page.width, page.height),
                                       score=round(piece.score, 3), valid=len(value) == 18 and valid(value),
                                       box=piece.box))
    unique: dict[str, ReadValue] = {}
    for item in found:
        unique.setdefault(item.value, item)
    return list(unique.values())


# ------------------------------------------------------------------ names and numbers
def _labelled(page: PageText, paper: str, read_field: str, labels: Sequence[str]) -> list[ReadValue]:
    rows = rows_of(page)
    for index, row in enumerate(rows):
        hit = _value_after(row, labels)
        if hit is None:
            continue
        value, piece = hit
        if read_field == ReadField.UNIT_NAME:
            value = _continuation(rows, index, piece, value)
        if len(value) < 2:
            continue
        return [ReadValue(paper=paper, field=read_field, value=value, page=page.page,
                          where=where_on_page(piece.box, page.width, page.height), score=round(piece.score, 3),
                          box=piece.box)]
    return []


def _licence_number(page: PageText, paper: str) -> list[ReadValue]:
    for row in rows_of(page):
        for piece in row.pieces:
            match = _LICENCE.search(normalise_name(piece.text))
            if match:
                return [ReadValue(paper=paper, field=ReadField.LICENCE_NUMBER, value=match.group(0), page=page.page,
                                  where=where_on_page(piece.box, page.width, page.height),
                                  score=round(piece.score, 3), box=piece.box)]
    return _labelled(page, paper, ReadField.LICENCE_NUMBER, ("编号",))


def find_values(page: PageText, paper: str, wanted: Sequence[str]) -> list[ReadValue]:
    """The values of `wanted` fields that this page shows for a paper of this kind."""
    found: list[ReadValue] = []
    for read_field in wanted:
        if read_field in (ReadField.CREDIT_CODE, ReadField.ID_NUMBER):
            found += _identifier(page, paper, read_field)
        elif read_field == ReadField.UNIT_NAME:
            found += _labelled(page, paper, read_field, _UNIT_LABELS)
        elif read_field == ReadField.PERSON_NAME:
            found += _labelled(page, paper, read_field, ("姓名",))
        elif read_field == ReadField.LICENCE_NUMBER:
            found += _licence_number(page, paper)
    return found


def looks_like(page: PageText, paper: str) -> bool:
    """Whether the page's text carries the marks of this kind of paper."""
    text = "".join(normalise_name(p.text) for p in page.pieces)
    marks = {Paper.BUSINESS_LICENCE: ("信用代码", "营业执照", "法人证书", "登记证书", "名称"),
             Paper.ID_CARD: ("公民身份", "身份号码", "姓名", "居民身份证"),
             Paper.SECURITY_LICENCE: ("保安服务许可证", "公保服")}
    return any(mark in text for mark in marks.get(Paper(paper), ()))
