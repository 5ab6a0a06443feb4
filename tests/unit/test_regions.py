"""The Xinjiang region file and what the product asks of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.errors import FieldError
from flows.regions import DEFAULT_REGIONS_FILE, RegionTree, clear_regions_cache, get_regions, load_regions

PREFECTURE_CODES = {
    "650100", "650200", "650400", "650500", "652300", "652700", "652800",
    "652900", "653000", "653100", "653200", "654000", "654200", "654300",
}  # fmt: skip


@pytest.fixture(scope="module")
def regions() -> RegionTree:
    return load_regions(DEFAULT_REGIONS_FILE)


def test_all_fourteen_prefectures_of_xinjiang_are_present(regions: RegionTree) -> None:
    assert regions.province.code == "650000"
    assert regions.province.name == "新疆维吾尔自治区"
    assert {p.code for p in regions.prefectures()} == PREFECTURE_CODES


def test_every_prefecture_has_at_least_one_county(regions: RegionTree) -> None:
    for prefecture in regions.prefectures():
        counties = regions.counties(prefecture.code)
        assert counties, prefecture.name
        assert all(c.code[:4] == prefecture.code[:4] and c.parent == prefecture.code for c in counties)


def test_well_known_counties_have_their_codes(regions: RegionTree) -> None:
    assert regions.get("650102").name == "天山区"
    assert regions.get("650103").name == "沙依巴克区"
    assert regions.get("654321").name == "布尔津县"
    assert regions.get("652902").name == "库车市"
    assert regions.get("654203").name == "沙湾市"


def test_full_name_joins_prefecture_and_county(regions: RegionTree) -> None:
    assert regions.full_name("650102") == "乌鲁木齐市天山区"
    assert regions.full_name("654000") == "伊犁哈萨克自治州"
    assert regions.full_name("650102", with_province=True) == "新疆维吾尔自治区乌鲁木齐市天山区"


def test_prefecture_of_a_county_and_of_a_prefecture(regions: RegionTree) -> None:
    assert regions.prefecture_of("654321").code == "654300"
    assert regions.prefecture_of("650100").code == "650100"


def test_province_contains_everything_and_prefecture_only_its_own(regions: RegionTree) -> None:
    assert regions.contains("650000", "653131")
    assert regions.contains("650000", "650000")
    assert regions.contains("650100", "650102")
    assert regions.contains("650100", "650100")
    assert not regions.contains("650100", "654321")
    assert not regions.contains("650102", "650103")
    assert not regions.contains("650102", "650100")
    assert not regions.contains("650000", "110105")


def test_unknown_region_code_is_refused_in_chinese(regions: RegionTree) -> None:
    with pytest.raises(FieldError) as caught:
        regions.get("110105")
    assert "未知的行政区划代码" in caught.value.message


def test_xpcc_cities_are_left_out(regions: RegionTree) -> None:
    assert "659001" not in regions


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "regions.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_region_file_with_a_county_under_the_wrong_prefecture_is_rejected(tmp_path: Path) -> None:
    doc = {"code": "650000", "name": "新疆维吾尔自治区", "prefectures": [
        {"code": "650100", "name": "乌鲁木齐市", "counties": [{"code": "650202", "name": "独山子区"}]},
    ]}  # fmt: skip
    with pytest.raises(ValueError, match="前4位"):
        load_regions(_write(tmp_path, doc))


def test_region_file_with_a_duplicate_code_is_rejected(tmp_path: Path) -> None:
    county = {"code": "650102", "name": "天山区"}
    doc = {"code": "650000", "name": "新疆维吾尔自治区", "prefectures": [
        {"code": "650100", "name": "乌鲁木齐市", "counties": [county, county]},
    ]}  # fmt: skip
    with pytest.raises(ValueError, match="重复"):
        load_regions(_write(tmp_path, doc))


def test_regions_file_can_be_chosen_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"code": "110000", "name": "北京市", "prefectures": [
        {"code": "110100", "name": "市辖区", "counties": [{"code": "110105", "name": "朝阳区"}]},
    ]}  # fmt: skip
    monkeypatch.setenv("REGIONS_FILE", str(_write(tmp_path, doc)))
    try:
        assert get_regions().province.name == "北京市"
    finally:
        monkeypatch.delenv("REGIONS_FILE")
        clear_regions_cache()
    assert get_regions().province.code == "650000"
