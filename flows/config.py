"""Province-level configuration (names of organs, contacts, pilot dates) read from a data file.

A pure loader: an administrator's override layer, if any, builds on top of it with
`config.model_copy(update={...})`. Keys that start with "_" are comments and ignored.
"""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.regions import RegionTree, get_regions
from flows.vocabulary import DocumentType

DEFAULT_CONFIG_FILE = Path(__file__).resolve().parent.parent / "data" / "config" / "province.json"

DEFAULT_DOCUMENT_TAGS: dict[str, str] = {
    "acceptance_notice": "治受字", "correction_notice": "治补字", "rejection_decision": "治决字",
    "filing_certificate": "治备字", "cancellation_certificate": "治撤字", "review_document": "治审字",
}

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


DOCUMENT_TYPES: tuple[str, ...] = tuple(DocumentType)


def document_types_checked(value: dict[str, str], *, every: bool) -> dict[str, str]:
    """A mapping by document type: no unknown type, and (when `every`) no type missing."""
    unknown = set(value) - set(DOCUMENT_TYPES)
    if unknown:
        raise ValueError(f"未知的文书类型：{'、'.join(sorted(unknown))}")
    missing = set(DOCUMENT_TYPES) - set(value) if every else set()
    if missing:
        raise ValueError(f"document_tags缺少文书类型：{'、'.join(sorted(missing))}")
    return value


class Organ(BaseModel):
    """An organ that issues documents, as the province styles it (entries of `organs`, by region code).

    `name` is the administrative organ in whose name documents are issued (…公安局, a 地区's organ,
    the 公安厅); `code` its 机关代字 in document numbers; `seal` the text of its seal; `undertaker`
    the internal unit that handles the business (承办单位, e.g. its 治安管理支队); `numbers` the
    per-document-type part of the number where it differs from the province's `document_tags`.
    Every field is optional in the file: what is left out follows the province's templates.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    code: str | None = None
    seal: str | None = None
    undertaker: str | None = None
    reconsideration: str | None = None  # the organ hearing an application for 行政复议 against it
    numbers: dict[str, str] = Field(default_factory=dict)

    @field_validator("numbers")
    @classmethod
    def _known_types(cls, value: dict[str, str]) -> dict[str, str]:
        return document_types_checked(value, every=False)


class IssuingOrgan(BaseModel):
    """An organ resolved for one region: every field filled."""

    model_config = ConfigDict(frozen=True)

    region_code: str
    name: str
    code: str
    seal: str
    undertaker: str
    reconsideration: str  # 行政复议机关: the people's government of its level (a 地区's 行政公署)
    numbers: dict[str, str]

    def number(self, doc_type: str, year: int, serial: int) -> str:
        """A document number in GB/T 9704 style, no zero padding: 乌公治备字〔2026〕1号."""
        return f"{self.number_prefix(doc_type)}〔{year}〕{serial}号"

    def number_prefix(self, doc_type: str) -> str:
        """机关代字 and the document type's part: 乌公治备字."""
        return f"{self.code}{self.numbers[doc_type]}"


class ProvinceConfig(BaseModel):
    """Who the province's organs are and how to reach them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    province_code: str = Field(pattern=r"^\d{2}0000$")
    province_name: str
    department: str
    corps: str
    # The prefecture's administrative organ (issues documents), and its unit that handles the business.
    prefecture_organ: str
    prefecture_undertaker: str = "{name}公安局治安管理支队"
    county_organ: str
    # Districts of a city usually have a branch of the city bureau ("乌鲁木齐市公安局天山区分局");
    # None means county_organ is used for districts too.
    district_organ: str | None = None
    service_hall: str
    # 机关代字 of an organ with no `organs` entry giving one: the prefecture's (or the department's)
    # followed by the county's first character, e.g. 乌公天 for 乌鲁木齐市公安局天山区分局.
    department_code: str = "新公"
    # The part of a document number naming the document type, after the 机关代字: 治备字, 治受字 ...
    document_tags: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_DOCUMENT_TAGS))
    organs: dict[str, Organ] = Field(default_factory=dict)
    contacts: dict[str, Contact]
    pilot: Pilot
    campaign_deadline: date

    @model_validator(mode="before")
    @classmethod
    def _ignore_comments(cls, data: Any) -> Any:
        return _drop_comments(data)

    @field_validator("document_tags")
    @classmethod
    def _every_document_type(cls, value: dict[str, str]) -> dict[str, str]:
        return document_types_checked(value, every=True)

    @field_validator("prefecture_organ", "prefecture_undertaker", "county_organ", "district_organ")
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
        """The public security organ (an administrative organ) responsible at this region's level."""
        tree = regions or get_regions()
        if region_code == self.province_code or tree.get(region_code).level == "province":
            return self.organs.get(region_code, Organ()).name or self.department
        region = tree.get(region_code)
        if region.level == "prefecture" and (named := self.organs.get(region_code, Organ()).name):
            return named
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

    def issuing_organ(self, region_code: str, *, regions: RegionTree | None = None) -> IssuingOrgan:
        """The administrative organ acting at this region's level, with its 机关代字, seal and 承办单位.

        The province's code gives the department (公安厅), a prefecture's its bureau (or whatever its
        `organs` entry says), a county's its county bureau or district branch.
        """
        tree = regions or get_regions()
        entry = self.organs.get(region_code, Organ())
        if region_code == self.province_code or tree.get(region_code).level == "province":
            name = entry.name or self.department
            code = entry.code or self.department_code
            undertaker = entry.undertaker or self.corps
            government = f"{self.province_name}人民政府"
        else:
            region = tree.get(region_code)
            prefecture = tree.prefecture_of(region_code)
            values = {"name": region.name, "prefecture": prefecture.name, "full_name": tree.full_name(region_code)}
            if region.level == "prefecture":
                name = entry.name or self.prefecture_organ.format(**values)
                code = entry.code or self.department_code + region.name[0]
                undertaker = entry.undertaker or self.prefecture_undertaker.format(**values)
            else:
                name = entry.name or self.organ_for(region_code, regions=tree)
                code = entry.code or self.issuing_organ(prefecture.code, regions=tree).code + region.name[0]
                undertaker = entry.undertaker or name
            # 行政复议法 (2023) 第二十四条: the government of the organ's level hears it; a 地区 has no
            # government of its own, its 行政公署 hears it as a 设区的市's would.
            government = f"{values['full_name']}{'行政公署' if region.name.endswith('地区') else '人民政府'}"
        return IssuingOrgan(region_code=region_code, name=name, code=code, seal=entry.seal or name,
                            undertaker=undertaker, reconsideration=entry.reconsideration or government,
                            numbers={**self.document_tags, **entry.numbers})

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


# The administrator's settings (JSON texts by field) for the work at hand: context-local, never a process
# global. Each page run lays them on for its own script thread (`overrides_in_force`); a thread or task that
# lays none on (a background worker, another session's run) reads the file alone, never another run's values.
_overrides: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("province_config_overrides", default=())


def overrides_in_force(values: dict[str, Any]) -> None:
    """Lay the administrator's settings over the file for the current context (a page run's thread);
    validated when merged."""
    _overrides.set(tuple(sorted((key, json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
                                for key, value in values.items())))


def with_overrides(base: ProvinceConfig, overrides: dict[str, Any]) -> ProvinceConfig:
    """The configuration with the administrator's settings laid over it (validated as a whole). Organs are
    merged by region code and field: an organ's entry set by the administrator keeps the file's other ones."""
    data = base.model_dump()
    for key, value in overrides.items():
        if key == "organs" and isinstance(value, dict):
            organs = dict(data.get("organs") or {})
            for code, entry in value.items():
                organs[code] = {**(organs.get(code) or {}), **{k: v for k, v in dict(entry).items() if v}}
            data["organs"] = organs
        else:
            data[key] = value
    return ProvinceConfig.model_validate(data)


@lru_cache(maxsize=8)
def _merged(path: str, overrides: tuple[tuple[str, str], ...]) -> ProvinceConfig:
    return with_overrides(_load_cached(path), {key: json.loads(text) for key, text in overrides})


def get_config() -> ProvinceConfig:
    """The product's province configuration: the file, read once, with the administrator's settings in force
    in this context on top."""
    path = str(config_path())
    overrides = _overrides.get()
    if not overrides:
        return _load_cached(path)
    return _merged(path, overrides)


def clear_config_cache() -> None:
    """Forget loaded files (tests, or after the file was replaced)."""
    _load_cached.cache_clear()
