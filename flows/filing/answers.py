"""Checking one answer against its question: a clean value, warnings, or a FieldError in Chinese.

Answers are kept as JSON-ready values: text and codes as str, dates as ISO str, a choice
as str, several choices as a list, yes/no as bool, a region as {"prefecture", "county"},
a roster as a list of row dicts, a filing reference as {"case_id", "number", ...}.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flows.config import get_config
from flows.documents.fonts import unprintable
from flows.errors import FieldError
from flows.filing.identifiers import ResidentId, check_mobile, check_resident_id, check_uscc
from flows.filing.schema import ColType, Column, DateWindow, QType, Question, YearsRule
from flows.regions import Region, get_regions

JSON = Any
PHONE = re.compile(r"^(0\d{2,3}-?\d{7,8}(-\d{1,6})?|1\d{10})$")
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class Checked:
    value: JSON
    warnings: tuple[str, ...] = ()


def shorten(text: str, limit: int = 20) -> str:
    """Echo at most a short piece of what was typed in a message."""
    return text if len(text) <= limit else text[:limit] + "…"


# The middle dot of minority and foreign names (间隔号) is U+00B7 in GB 18030; people type look-alikes.
MIDDLE_DOT = "\u00b7"
MIDDLE_DOTS = str.maketrans({c: MIDDLE_DOT for c in "\u2022\u2027\u30fb\uff65\u22c5\u2219\u0387\u16eb\u2e31\u2218"})
LINE_BREAKS = frozenset("\n\r\t\v\f\u2028\u2029\x85")
# Characters of markup and code, never part of a name, a number or an address on a certificate.
MARKUP = frozenset("<>{}[]\\`|^*")


def _is_emoji(char: str) -> bool:
    """Pictographs and the joiners that build emoji; the circled numbers ❶–➓ of a numbered list are kept."""
    code = ord(char)
    return (0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF and not 0x2776 <= code <= 0x2793
            or code in (0xFE0F, 0x200D, 0x20E3))


def clean_text(raw: object, *, max_length: int, label: str, single_line: bool = False) -> str:
    """Trim, normalise, and refuse control characters, emoji, over-long text, and characters the documents
    cannot print. A single-line text (names, numbers, addresses) refuses line breaks and markup characters
    (“<”, “*”…) and writes every middle dot of a name as “·”."""
    given = str(raw if raw is not None else "")
    if len(given) > 4 * max_length + 64:  # far over even before normalising: refused without scanning it all
        raise FieldError(f"“{label}”最多{max_length}个字，您输入了{len(given)}个字，请精简。")
    text = unicodedata.normalize("NFC", given).strip()
    if single_line:
        if any(ch in LINE_BREAKS for ch in text):
            raise FieldError(f"“{label}”只能填写一行，不能换行。请删除换行后重新输入。")
        text = text.translate(MIDDLE_DOTS)
    emoji = next((ch for ch in text if _is_emoji(ch)), None)
    if emoji is not None:
        raise FieldError(f"“{label}”中含有表情符号“{emoji}”，证明文书上不能使用，请删除后重新输入。")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\n\t" for ch in text):
        raise FieldError(f"“{label}”中含有不可见的控制字符或无效字符，请删除后重新输入。")
    if single_line and (markup := next((ch for ch in text if ch in MARKUP), None)) is not None:
        raise FieldError(f"“{label}”中不能含有“{markup}”。请只用汉字、字母、数字和常用标点（如“（）”“·”“-”“#”）填写。")
    if len(text) > max_length:
        raise FieldError(f"“{label}”最多{max_length}个字，您输入了{len(text)}个字，请精简。")
    bad = unprintable(text)
    if bad is not None:
        raise FieldError(f"“{label}”中的“{bad}”（U+{ord(bad):04X}）无法在证明文书中打印。"
                         "请用汉字、数字或常用符号填写（少数民族姓名请按身份证上的汉字填写，间隔号用“·”）。")
    return text


def parse_date(raw: object, label: str) -> date:
    if isinstance(raw, date):
        value = raw
    elif raw is None or not str(raw).strip():
        raise FieldError(f"请选择“{label}”（可从日历中选择，或按“2026-01-31”的格式填写）。")
    else:
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise FieldError(f"“{label}”不是有效日期，请按“2026-01-31”的格式填写或从日历中选择。") from None
    if value < EARLIEST or value.year > 2100:
        raise FieldError(f"“{label}”的年份不合理，请核对。")
    return value


def window_warning(window: DateWindow, value: date, today: date) -> str | None:
    """The warning a date window gives for this date today, if any."""
    if window.rule == "within_days_after" and (today - value).days > window.days:
        return window.warning
    if window.rule == "not_after_today_plus" and (value - today).days > window.days:
        return window.warning
    if window.rule == "before_submission" and value < today:
        return window.warning
    return None


def _refuse_under_age(person: ResidentId, min_age: int | None, today: date, then: str) -> None:
    """"按身份证号码，此人于…出生，未满N周岁" and `then` (what follows from it), when the number's birth date
    makes the person younger than `min_age` today."""
    if min_age is not None and person.age_on(today) < min_age:
        raise FieldError(f"按身份证号码，此人于{describe_date(person.birth_date.isoformat())}出生，"
                         f"未满{min_age}周岁{then}")


def _check_cell(column: Column, raw: object, today: date) -> JSON:
    if column.type == ColType.YES_NO:
        if isinstance(raw, bool):
            return raw
        text = str(raw or "").strip()
        if text in ("是", "Y", "y", "1", "true", "True"):
            return True
        if text in ("否", "N", "n", "0", "false", "False", ""):
            return False
        raise FieldError(f"“{column.label}”请填写“是”或“否”。")
    text = clean_text(raw, max_length=column.max_length, label=column.label, single_line=True)
    if not text:
        if column.required:
            raise FieldError(f"“{column.label}”未填写。")
        return ""
    if column.type == ColType.ID_NUMBER:
        person = check_resident_id(text, today=today)
        rule = f"（{column.min_age_rule}）" if column.min_age_rule else ""
        _refuse_under_age(person, column.min_age, today, f"{rule}，不能列入名单。请核对号码或删除该行。")
        return person.number
    if column.type == ColType.MOBILE:
        return check_mobile(text)
    if column.type == ColType.DATE:
        return parse_date(text, column.label).isoformat()
    return text


def _checked_row(question: Question, row: dict[str, Any], today: date) -> tuple[dict[str, JSON], list[str]]:
    """One roster row: its clean cells and the problems found in it."""
    clean: dict[str, JSON] = {}
    problems: list[str] = []
    for column in question.columns:
        try:
            clean[column.id] = _check_cell(column, row.get(column.id), today)
        except FieldError as error:
            problems.append(error.message)
    if "start" in clean and "end" in clean and clean["start"] and clean["end"] and clean["end"] < clean["start"]:
        problems.append("截止日期早于起始日期。")
    return clean, problems


def check_row(question: Question, row: dict[str, Any], *, today: date) -> dict[str, JSON]:
    """One roster row as entered on its own (a card on a phone): the same checks as in the whole roster."""
    clean, problems = _checked_row(question, row, today)
    if problems:
        raise FieldError("\n".join(problems), field=question.id)
    return clean


def _row_is_empty(row: dict[str, Any]) -> bool:
    return all(v in (None, "", False) or (isinstance(v, float) and v != v) for v in row.values())


def check_roster(question: Question, raw: object, today: date) -> Checked:
    """Every row checked; every problem named with its row number, all at once."""
    rows_in = [r for r in (raw if isinstance(raw, list) else []) if isinstance(r, dict) and not _row_is_empty(r)]
    problems: list[str] = []
    rows: list[dict[str, JSON]] = []
    for index, row in enumerate(rows_in, start=1):
        clean, found = _checked_row(question, row, today)
        problems.extend(f"第{index}行：{message}" for message in found)
        rows.append(clean)
    if question.unique_column:
        first_seen: dict[str, int] = {}
        label = next(c.label for c in question.columns if c.id == question.unique_column)
        for index, row in enumerate(rows, start=1):
            key = str(row.get(question.unique_column) or "")
            if not key:
                continue
            if key in first_seen:
                problems.append(f"第{index}行：{label}与第{first_seen[key]}行重复。")
            else:
                first_seen[key] = index
    if len(rows) < question.min_rows:
        problems.append(f"“{question.label}”至少需要填写{question.min_rows}行。")
    if len(rows) > question.max_rows:
        problems.append(f"“{question.label}”最多{question.max_rows}行。")
    if problems:
        raise FieldError("\n".join(problems), field=question.id)
    warnings = roster_warnings(question, rows, today)
    rule = question.roster_rule
    if rule is not None:
        years = qualifying_years(rows, rule)
        if years < rule.years:
            warnings.append(f"按您填写的经历，符合条件的工作年限合计约{years:.1f}年，不足法定的{rule.years}年。"
                            "请核对；如确不足5年，申请可能不予通过。")
    return Checked(rows, tuple(warnings))


def covered_days(periods: list[tuple[date, date]]) -> int:
    """Days covered by the periods, overlaps counted once (two jobs at once are not twice the experience)."""
    total = 0
    current: tuple[date, date] | None = None
    for start, end in sorted(periods):
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            total += (current[1] - current[0]).days
        current = (start, end)
    if current is not None:
        total += (current[1] - current[0]).days
    return total


def roster_warnings(question: Question, rows: list[dict[str, JSON]], today: date) -> list[str]:
    """What the officer must notice in a roster, by rule, naming the rows (never a refusal)."""
    warnings: list[str] = []
    for column in question.columns:
        if column.warn_if_empty:
            empty = [n for n, row in enumerate(rows, start=1) if not row.get(column.id)]
            if empty:
                warnings.append(f"第{_row_list(empty)}行{column.warn_if_empty}。")
    return warnings


def _row_list(numbers: list[int], shown: int = 20) -> str:
    listed = "、".join(str(n) for n in numbers[:shown])
    return listed + (f"等{len(numbers)}" if len(numbers) > shown else "")


def qualifying_years(rows: list[dict[str, JSON]], rule: YearsRule) -> float:
    """Years of the rows the rule's flag marks (checked rows: ISO dates in its start and end columns),
    overlaps once."""
    return covered_days([(date.fromisoformat(str(r[rule.start])), date.fromisoformat(str(r[rule.end])))
                         for r in rows if r.get(rule.flag)]) / 365


def check_region(question: Question, raw: object) -> Checked:
    regions = get_regions()
    if not isinstance(raw, dict) or not raw.get("prefecture"):
        raise FieldError("请选择州、市、地。", field=question.id)
    prefecture = regions.get(str(raw["prefecture"]))
    if prefecture.level != "prefecture":
        raise FieldError("请选择州、市、地。", field=question.id)
    value: dict[str, str | None] = {"prefecture": prefecture.code, "county": None}
    if question.county:
        county_code = raw.get("county")
        if not county_code:
            raise FieldError("请选择县（市、区）。", field=question.id)
        if not regions.contains(prefecture.code, str(county_code)) or str(county_code) == prefecture.code:
            raise FieldError("所选县（市、区）不属于所选州、市、地，请重新选择。", field=question.id)
        value["county"] = str(county_code)
    return Checked(value)


def check_answer(question: Question, raw: object, *, today: date,
                 answers: Mapping[str, Any] | None = None) -> Checked:
    """Check one answer; raise FieldError (field = question id) with a plain-Chinese message.

    `answers`: the case's other answers, for rules comparing two (an end date not before its start)."""
    try:
        checked = _check(question, raw, today)
        if question.not_before and answers and answers.get(question.not_before):
            earlier = parse_date(answers[question.not_before], question.not_before)
            if date.fromisoformat(checked.value) < earlier:
                raise FieldError(f"“{question.label}”（{describe_date(checked.value)}）早于开始日期"
                                 f"（{describe_date(earlier.isoformat())}），请核对。")
        if question.name_question and answers:
            _refuse_one_number_for_two_names(question, str(checked.value), answers)
        if question.differs_from and answers and str(answers.get(question.differs_from) or "") == str(checked.value):
            raise FieldError(question.differs_message or f"“{question.label}”与已填写的另一项相同，请核对。")
        if question.in_region and answers:
            _refuse_an_address_in_another_place(question, str(checked.value), answers.get(question.in_region))
        return checked
    except FieldError as error:
        if error.field is None:
            error.field = question.id
        raise


_WRONG_PLACE = "如是所在地选错了，可先从路名、门牌号写起，填完后在核对页面修改所在地。"


def _named_first(text: str, places: list[Region]) -> Region | None:
    """The place whose full name begins `text` (the longest, if one name begins another)."""
    found = [p for p in places if p.name and text.startswith(p.name)]
    return max(found, key=lambda p: len(p.name)) if found else None


def _refuse_an_address_in_another_place(question: Question, address: str, region: object) -> None:
    """An address that begins with another prefecture's name than the one chosen, or (after the chosen
    prefecture's name) with another of its counties' (see Question.in_region). Short names ("乌鲁木齐" without
    市) and names further into the address (a 乌鲁木齐路 in 哈密) are not read as places."""
    if not isinstance(region, dict) or not region.get("prefecture"):
        return
    regions = get_regions()
    try:
        prefecture = regions.get(str(region["prefecture"]))
        county = regions.get(str(region["county"])) if region.get("county") else None
    except FieldError:
        return  # the region's own check names it
    text = address.strip().removeprefix(get_config().province_name)
    named = _named_first(text, regions.prefectures())
    if named is not None and named.code != prefecture.code:
        raise FieldError(f"“{question.label}”写的是{named.name}，与所选的所在地（{prefecture.name}）不一致，请核对。" + _WRONG_PLACE)
    if county is None:
        return
    named = _named_first(text.removeprefix(prefecture.name), regions.counties(prefecture.code))
    if named is not None and named.code != county.code:
        raise FieldError(f"“{question.label}”写的是{named.name}，与所选的所在地（{prefecture.name}{county.name}）"
                         "不一致，请核对。" + _WRONG_PLACE)


def _refuse_one_number_for_two_names(question: Question, number: str, answers: Mapping[str, Any]) -> None:
    """One ID number given for two people of the filing under different names (see Question.name_question)."""
    assert question.name_question is not None
    name = str(answers.get(question.name_question) or "")
    for key, value in answers.items():
        if key == question.id or not key.endswith("_id") or str(value or "") != number:
            continue
        other = str(answers.get(key.removesuffix("_id") + "_name") or "")
        if name and other and other != name:
            raise FieldError(f"此号码已作为“{other}”的居民身份证号码填写，与姓名“{name}”不一致。"
                             "同一人兼任的，姓名应一致；不是同一人的，请核对号码。")


def _check(q: Question, raw: object, today: date) -> Checked:
    if q.type == QType.ROSTER:
        return check_roster(q, raw, today)
    if q.type == QType.REGION:
        return check_region(q, raw)
    if q.type == QType.FILING_REF:
        if not isinstance(raw, dict) or not raw.get("case_id"):
            raise FieldError("请选择要撤销的备案。")
        return Checked(dict(raw))
    if q.type == QType.MULTI_CHOICE:
        chosen = [str(v) for v in (raw if isinstance(raw, list | tuple) else [])]
        if not chosen and q.required:
            raise FieldError(f"请至少选择一项“{q.label}”。")
        unknown = [v for v in chosen if v not in q.options]
        if unknown:
            raise FieldError(f"“{shorten(unknown[0])}”不是可选项，请从列表中选择。")
        return Checked([o for o in q.options if o in chosen])
    if q.type == QType.YES_NO:
        if not isinstance(raw, bool):
            raise FieldError("请选择“是”或“否”。")
        return Checked(raw)
    if q.type == QType.DATE:
        value = parse_date(raw, q.label)
        if q.future_refused and value > today:
            raise FieldError(q.future_refused)
        warning = window_warning(q.window, value, today) if q.window else None
        return Checked(value.isoformat(), (warning,) if warning else ())
    text = clean_text(raw, max_length=q.max_length, label=q.label, single_line=q.type != QType.LONG_TEXT)
    if not text:
        if q.required:
            raise FieldError(f"请填写“{q.label}”。")
        return Checked("")
    if q.type == QType.CHOICE:
        if text not in q.options:
            raise FieldError(f"“{shorten(text)}”不是可选项，请从列表中选择。")
        if q.choice_rule == "other_province" and text == get_config().province_name:
            raise FieldError(f"注册地在{text}的公司在本区提供保安服务，不属于跨省（自治区、直辖市）提供服务，"
                             "无需办理此项备案。如注册地选错了，请重新选择。")
        return Checked(text)
    if q.type == QType.USCC:
        return Checked(check_uscc(text))
    if q.type == QType.ID_NUMBER:
        person = check_resident_id(text, today=today)
        who = q.label.removesuffix("居民身份证号码")
        _refuse_under_age(person, q.min_age, today, f"。{who}须年满{q.min_age}周岁，请核对。")
        return Checked(person.number)
    if q.type == QType.MOBILE:
        return Checked(check_mobile(text))
    if q.type == QType.PHONE:
        compact = text.replace(" ", "")
        if not PHONE.match(compact):
            raise FieldError("电话号码格式不正确：手机填11位，固定电话填“区号-号码”，如 0991-5586122。")
        return Checked(compact)
    if q.type == QType.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise FieldError(f"“{q.label}”请填写数字。") from None
        if number < 0:
            raise FieldError(f"“{q.label}”不能为负数。")
        return Checked(int(number) if number.is_integer() else number)
    return Checked(text)


def describe_answer(question: Question, value: JSON) -> str:
    """An answer as one line of plain text, as the applicant gave it."""
    if value is None or value == "":
        return "（未填写）"
    if question.type == QType.YES_NO:
        return "是" if value else "否"
    if question.type == QType.MULTI_CHOICE and isinstance(value, list):
        return "、".join(str(v) for v in value)
    if question.type == QType.REGION and isinstance(value, dict):
        code = value.get("county") or value.get("prefecture")
        return get_regions().full_name(str(code)) if code else "（未选择）"
    if question.type == QType.ROSTER and isinstance(value, list):
        return f"共{len(value)}{question.row_unit}"
    if question.type == QType.FILING_REF and isinstance(value, dict):
        return f"办件{value.get('number', '')}"
    if question.type == QType.DATE:
        return describe_date(value)
    return str(value)


def describe_date(value: JSON) -> str:
    """An ISO date as 2026年1月5日 (as given when it is not one)."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"
