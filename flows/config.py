"""Province-level configuration (names of organs, contacts, pilot dates) read from a data file.

A pure loader: an administrator's override layer, if any, builds on top of it with
`config.model_copy(update={...})`. Keys that start with "_" are comments and ignored.
"""

from __future__ import annotations

import json
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.regions import RegionTree, get_regions

DEFAULT_CONFIG_FILE = Path(__file__).resolve().parent.parent / "data" / "config" / "province.json"

# Placeholders an organ-name template may use.
_TEMPLATE_KEYS = {"name": "某某", "prefecture": "某某", "full_name": "某某"}


def _drop_comments(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _drop_comments(v) for k, v in data.items() if not (isinstance(k, str) and k.startswith("_"))
        }
    return data


class Contact(BaseModel):
    """An office the applicant can phone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    phone: str


class Pilot(BaseModel):
    """The trial period: the pilot notice and feedback channel show between start and end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date
    end: date
    notice: str

    @model_validator(mode="after")
    def _start_before_end(self) -> Pilot:
        if self.end < self.start:
            raise ValueError("试运行结束日期不能早于开始日期")
        return self


class ProvinceConfig(BaseModel):
    """Who the province's organs are and how to reach them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    province_code: str = Field(pattern=r"^\d{2}0000$")
    province_name: str
    department: str
    corps: str
    prefecture_organ: str
    county_organ: str
    # Districts of a city usually have a branch of the city bureau ("乌鲁木齐市公安局天山区分局");
    # None means county_organ is used for districts too.
    district_organ: str | None = None
    service_hall: str
    contacts: dict[str, Contact]
    pilot: Pilot
    campaign_deadline: date

    @model_validator(mode="before")
    @classmethod
    def _ignore_comments(cls, data: Any) -> Any:
        return _drop_comments(data)

    @field_validator("prefecture_organ", "county_organ", "district_organ")
    @classmethod
    def _template_is_usable(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format(**_TEMPLATE_KEYS)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"机关名称模板“{value}”只能使用{{name}}、{{prefecture}}、{{full_name}}"
                ) from exc
        return value

    @field_validator("contacts")
    @classmethod
    def _has_province_contact(cls, value: dict[str, Contact]) -> dict[str, Contact]:
        if "province" not in value:
            raise ValueError("contacts中须有province（省级联系人）")
        return value

    def organ_for(self, region_code: str, *, regions: RegionTree | None = None) -> str:
        """The public security organ responsible at this region's level."""
        if region_code == self.province_code:
            return self.corps
        tree = regions or get_regions()
        region = tree.get(region_code)
        if region.level == "province":
            return self.corps
        prefecture = tree.prefecture_of(region_code)
        values = {
            "name": region.name,
            "prefecture": prefecture.name,
            "full_name": tree.full_name(region_code),
        }
        if region.level == "prefecture":
            return self.prefecture_organ.format(**values)
        if self.district_organ is not None and region.name.endswith("区"):
            return self.district_organ.format(**values)
        return self.county_organ.format(**values)

    def contact_for(self, region_code: str, *, regions: RegionTree | None = None) -> Contact:
        """The office to phone about a case in this region: its prefecture's, else the province's."""
        if region_code == self.province_code:
            return self.contacts["province"]
        tree = regions or get_regions()
        region = tree.get(region_code)
        if region.level == "province":
            return self.contacts["province"]
        prefecture = tree.prefecture_of(region_code)
        return self.contacts.get(prefecture.code, self.contacts["province"])

    def pilot_active(self, today: date) -> bool:
        """Whether `today` falls within the pilot period (both ends included)."""
        return self.pilot.start <= today <= self.pilot.end


def load_config(path: Path) -> ProvinceConfig:
    """Read and validate a province configuration file."""
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return ProvinceConfig.model_validate(data)


@lru_cache(maxsize=4)
def _load_cached(path: str) -> ProvinceConfig:
    return load_config(Path(path))


def config_path() -> Path:
    """Configuration file from the PROVINCE_CONFIG environment variable, else the bundled one."""
    configured = os.environ.get("PROVINCE_CONFIG")
    return Path(configured) if configured else DEFAULT_CONFIG_FILE


_overrides: dict[str, str] = {}  # the administrator's settings (JSON texts by field), set by the app


def set_overrides(values: dict[str, Any]) -> None:
    """Lay the administrator's settings over the file (validated when merged; the same for every session)."""
    global _overrides
    _overrides = {key: json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
                  for key, value in values.items()}


@lru_cache(maxsize=8)
def _merged(path: str, overrides: tuple[tuple[str, str], ...]) -> ProvinceConfig:
    data = _load_cached(path).model_dump()
    data.update({key: json.loads(text) for key, text in overrides})
    return ProvinceConfig.model_validate(data)


def get_config() -> ProvinceConfig:
    """The product's province configuration: the file, read once, with the administrator's settings on top."""
    path = str(config_path())
    if not _overrides:
        return _load_cached(path)
    return _merged(path, tuple(sorted(_overrides.items())))


def clear_config_cache() -> None:
    """Forget loaded files (tests, or after the file was replaced)."""
    _load_cached.cache_clear()
