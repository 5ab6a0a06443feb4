"""Province configuration: organ names, contacts and the pilot period come from data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.config import (
    DEFAULT_CONFIG_FILE,
    Organ,
    ProvinceConfig,
    clear_config_cache,
    get_config,
    load_config,
)
from flows.errors import FieldError
from flows.regions import DEFAULT_REGIONS_FILE, RegionTree, load_regions


@pytest.fixture(scope="module")
def config() -> ProvinceConfig:
    return load_config(DEFAULT_CONFIG_FILE)


@pytest.fixture(scope="module")
def regions() -> RegionTree:
    return load_regions(DEFAULT_REGIONS_FILE)


def test_bundled_configuration_is_for_xinjiang(config: ProvinceConfig) -> None:
    assert config.province_code == "650000"
    assert config.province_name == "新疆维吾尔自治区"
    assert config.department == "新疆维吾尔自治区公安厅"
    assert config.campaign_deadline == date(2026, 12, 30)


def test_province_cases_go_to_the_department_handled_by_the_corps(config: ProvinceConfig, regions: RegionTree) -> None:
    assert config.organ_for("650000", regions=regions) == "新疆维吾尔自治区公安厅"
    organ = config.issuing_organ("650000", regions=regions)
    assert (organ.name, organ.undertaker, organ.code) == ("新疆维吾尔自治区公安厅", "新疆维吾尔自治区公安厅治安管理总队", "新公")


def test_the_prefecture_organ_is_its_bureau_with_the_detachment_as_handling_unit(
    config: ProvinceConfig, regions: RegionTree
) -> None:
    assert config.organ_for("654000", regions=regions) == "伊犁哈萨克自治州公安局"
    assert config.organ_for("652900", regions=regions) == "阿克苏地区公安局"
    organ = config.issuing_organ("650100", regions=regions)
    assert (organ.name, organ.undertaker, organ.seal) == ("乌鲁木齐市公安局", "乌鲁木齐市公安局治安管理支队",
                                                          "乌鲁木齐市公安局")
    assert organ.number("filing_certificate", 2026, 1) == "乌公治备字〔2026〕1号"
    assert organ.number("acceptance_notice", 2026, 12) == "乌公治受字〔2026〕12号"


def test_a_prefecture_styled_otherwise_is_configured_by_its_entry(config: ProvinceConfig, regions: RegionTree) -> None:
    styled = config.model_copy(update={"organs": {**config.organs, "652900": Organ(
        name="阿克苏地区公安处", code="阿公处", seal="阿克苏地区公安处", undertaker="阿克苏地区公安处治安科",
        numbers={"filing_certificate": "备字"})}})
    organ = styled.issuing_organ("652900", regions=regions)
    assert organ.name == "阿克苏地区公安处" and styled.organ_for("652900", regions=regions) == "阿克苏地区公安处"
    assert organ.number("filing_certificate", 2027, 3) == "阿公处备字〔2027〕3号"
    assert organ.number("correction_notice", 2027, 3) == "阿公处治补字〔2027〕3号"
    county = styled.issuing_organ("652901", regions=regions)  # a county under it: its own bureau, a derived code
    assert county.code.startswith("阿公处") and county.name.endswith("公安局")


def test_an_unknown_document_type_in_an_organ_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="未知的文书类型"):
        Organ(numbers={"certificate_of_nothing": "x"})


def test_county_organ_is_the_county_bureau(config: ProvinceConfig, regions: RegionTree) -> None:
    assert config.organ_for("654321", regions=regions) == "布尔津县公安局"
    assert config.organ_for("652801", regions=regions) == "库尔勒市公安局"


def test_city_district_organ_is_a_branch_of_the_city_bureau(
    config: ProvinceConfig, regions: RegionTree
) -> None:
    assert config.organ_for("650102", regions=regions) == "乌鲁木齐市公安局天山区分局"


def test_organ_for_unknown_code_is_refused(config: ProvinceConfig, regions: RegionTree) -> None:
    with pytest.raises(FieldError, match="未知的行政区划代码"):
        config.organ_for("110105", regions=regions)


def test_every_prefecture_has_a_contact(config: ProvinceConfig, regions: RegionTree) -> None:
    for prefecture in regions.prefectures():
        contact = config.contact_for(prefecture.code, regions=regions)
        assert contact.phone.startswith("09"), prefecture.name


def test_county_contact_is_its_prefecture_and_province_contact_is_the_corps(
    config: ProvinceConfig, regions: RegionTree
) -> None:
    assert config.contact_for("650102", regions=regions) == config.contacts["650100"]
    assert config.contact_for("650000", regions=regions).phone == "0991-5586122"


def test_pilot_is_active_on_both_end_days_only_within_the_period(config: ProvinceConfig) -> None:
    assert not config.pilot_active(date(2026, 10, 31))
    assert config.pilot_active(date(2026, 11, 1))
    assert config.pilot_active(date(2026, 12, 31))
    assert not config.pilot_active(date(2027, 1, 1))
    assert "意见反馈" in config.pilot.notice


def test_an_override_layer_can_copy_the_configuration_with_changes(config: ProvinceConfig) -> None:
    changed = config.model_copy(update={"campaign_deadline": date(2027, 1, 31)})
    assert changed.campaign_deadline == date(2027, 1, 31)
    assert config.campaign_deadline == date(2026, 12, 30)


def _raw() -> dict[str, object]:
    data: dict[str, object] = json.loads(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    return data


def test_configuration_with_an_unknown_key_is_rejected() -> None:
    data = _raw() | {"corp": "typo"}
    with pytest.raises(ValidationError):
        ProvinceConfig.model_validate(data)


def test_configuration_with_a_pilot_ending_before_it_starts_is_rejected() -> None:
    data = _raw() | {"pilot": {"start": "2026-12-01", "end": "2026-11-01", "notice": "试运行"}}
    with pytest.raises(ValidationError):
        ProvinceConfig.model_validate(data)


def test_configuration_with_a_broken_organ_template_is_rejected() -> None:
    data = _raw() | {"county_organ": "{county}公安局"}
    with pytest.raises(ValidationError):
        ProvinceConfig.model_validate(data)


def test_configuration_file_can_be_chosen_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "province.json"
    path.write_text(json.dumps(_raw() | {"service_hall": "测试平台"}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("PROVINCE_CONFIG", str(path))
    try:
        assert get_config().service_hall == "测试平台"
    finally:
        monkeypatch.delenv("PROVINCE_CONFIG")
        clear_config_cache()
    assert get_config().service_hall == "新疆维吾尔自治区公安厅政务服务平台"
