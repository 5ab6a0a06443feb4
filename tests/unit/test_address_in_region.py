"""A detailed address that names another place than the one chosen is refused at the address (the chosen place
decides which police organ handles the case; the certificate prints both)."""

from __future__ import annotations

from datetime import date

import pytest

from flows.errors import FieldError
from flows.filing.answers import check_answer
from flows.kinds import get_filing

TODAY = date(2026, 12, 7)
TIANSHAN = {"prefecture": "650100", "county": "650102"}  # 乌鲁木齐市天山区


def check(address: str, region: dict[str, str], kind: str = "C", qid: str = "unit_address",
          region_id: str = "unit_region") -> str:
    return str(check_answer(get_filing(kind).question(qid), address, today=TODAY, answers={region_id: region}).value)


@pytest.mark.parametrize("address", [
    "幸福路6号", "天山区幸福路6号", "乌鲁木齐市天山区幸福路6号", "新疆维吾尔自治区乌鲁木齐市天山区幸福路6号",
    "哈密路12号",  # a street named after another city is no place
    "乌鲁木齐天山区幸福路6号",  # a short name is not read as a place
])
def test_an_address_in_the_chosen_place_or_naming_none_is_taken(address: str) -> None:
    assert check(address, TIANSHAN) == address


@pytest.mark.parametrize(("address", "region", "said"), [
    ("哈密市伊州区前进路1号", TIANSHAN, "“单位详细地址”写的是哈密市，与所选的所在地（乌鲁木齐市）不一致，请核对。"),
    ("新疆维吾尔自治区哈密市伊州区前进路1号", TIANSHAN, "写的是哈密市"),
    ("乌鲁木齐市沙依巴克区友好路1号", TIANSHAN, "写的是沙依巴克区，与所选的所在地（乌鲁木齐市天山区）不一致"),
    ("沙依巴克区友好路1号", TIANSHAN, "写的是沙依巴克区"),
    ("乌鲁木齐县水西沟镇1号", TIANSHAN, "写的是乌鲁木齐县"),  # a county named like its prefecture
    ("库车市天山路1号", {"prefecture": "652900", "county": "652901"}, "写的是库车市，与所选的所在地（阿克苏地区阿克苏市）"),
])
def test_an_address_beginning_with_another_place_is_refused_at_the_address(
        address: str, region: dict[str, str], said: str) -> None:
    with pytest.raises(FieldError) as refused:
        check(address, region)
    assert said in refused.value.message and refused.value.field == "unit_address"


def test_the_service_place_of_a_cross_province_filing_and_a_branch_are_checked_too() -> None:
    with pytest.raises(FieldError):
        check("克拉玛依市白碱滩区1号", TIANSHAN, "B", "service_address", "service_region")
    with pytest.raises(FieldError):
        check("克拉玛依市白碱滩区1号", TIANSHAN, "E", "branch_address", "branch_region")
    assert check("天山区1号", TIANSHAN, "E", "branch_address", "branch_region") == "天山区1号"


def test_the_ledger_says_the_place_once_whether_the_address_starts_at_the_street_or_with_the_place() -> None:
    from flows.oversight.ledger import column_text

    for kind, region_id, address_id in (("B", "service_region", "service_address"),
                                        ("E", "branch_region", "branch_address")):
        entry = get_filing(kind).ledger
        assert entry is not None
        column = next(c for c in entry.columns if c.label == "服务区域")
        for typed in ("光明路18号", "天山区光明路18号", "乌鲁木齐市天山区光明路18号"):
            answers = {region_id: TIANSHAN, address_id: typed, "service_kinds": ["门卫"]}
            assert column_text(column, answers).startswith("乌鲁木齐市天山区光明路18号"), (kind, typed)
