"""Administrative regions (GB/T 2260) of the province the product runs for, read from a data file.

The file is configuration: another province runs the product with its own file. Keys that
start with "_" are comments and ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from flows.errors import FieldError

RegionLevel = Literal["province", "prefecture", "county"]

DEFAULT_REGIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "regions" / "650000.json"


@dataclass(frozen=True)
class Region:
    """One administrative division; `parent` is the code of the division above it."""

    code: str
    name: str
    level: RegionLevel
    parent: str | None


class RegionTree:
    """A province, its prefecture-level divisions and their county-level divisions."""

    def __init__(self, province: Region, prefectures: list[Region], counties: list[Region]) -> None:
        self.province = province
        self._prefectures = list(prefectures)
        self._by_code: dict[str, Region] = {province.code: province}
        self._counties: dict[str, list[Region]] = {p.code: [] for p in prefectures}
        for region in [*prefectures, *counties]:
            if region.code in self._by_code:
                raise ValueError(f"行政区划文件有误：代码{region.code}重复。")
            self._by_code[region.code] = region
        for county in counties:
            if county.parent not in self._counties:
                raise ValueError(f"行政区划文件有误：{county.code}{county.name}的上级{county.parent}不存在。")
            self._counties[county.parent].append(county)

    def prefectures(self) -> list[Region]:
        """Prefecture-level divisions in file order."""
        return list(self._prefectures)

    def counties(self, prefecture_code: str) -> list[Region]:
        """County-level divisions of one prefecture, in file order."""
        if prefecture_code not in self._counties:
            raise FieldError(f"未知的州、市、地代码：{prefecture_code}")
        return list(self._counties[prefecture_code])

    def all_counties(self) -> list[Region]:
        """Every county-level division of the province."""
        return [c for p in self._prefectures for c in self._counties[p.code]]

    def get(self, code: str) -> Region:
        """The region with this code, or FieldError for an unknown code."""
        region = self._by_code.get(code)
        if region is None:
            shown = code if len(code) <= 12 else code[:12] + "…"
            raise FieldError(f"未知的行政区划代码：{shown}")
        return region

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def prefecture_of(self, code: str) -> Region:
        """The prefecture a county belongs to (a prefecture code returns itself)."""
        region = self.get(code)
        if region.level == "prefecture":
            return region
        if region.level == "county" and region.parent is not None:
            return self.get(region.parent)
        raise FieldError(f"{region.name}不属于任何州、市、地。")

    def contains(self, ancestor_code: str, code: str) -> bool:
        """Whether `code` lies within `ancestor_code` (a region contains itself); unknown codes → False."""
        ancestor = self._by_code.get(ancestor_code)
        region = self._by_code.get(code)
        if ancestor is None or region is None:
            return False
        if ancestor.code == region.code or ancestor.level == "province":
            return True
        return ancestor.level == "prefecture" and region.parent == ancestor.code

    def full_name(self, code: str, *, with_province: bool = False) -> str:
        """Name with its prefecture, e.g. "乌鲁木齐市天山区"; the province prefix only when asked."""
        region = self.get(code)
        parts: list[str] = []
        if region.level == "county" and region.parent is not None:
            parts.append(self.get(region.parent).name)
        if region.level != "province":
            parts.append(region.name)
        if with_province or region.level == "province":
            parts.insert(0, self.province.name)
        return "".join(parts)


def _code(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or len(raw) != 6 or not raw.isdigit():
        raise ValueError(f"行政区划文件有误：{where}的代码“{raw}”不是6位数字。")
    return raw


def _name(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"行政区划文件有误：{where}缺少名称。")
    return raw.strip()


def parse_regions(data: Any) -> RegionTree:
    """Build and validate a RegionTree from the decoded JSON document."""
    if not isinstance(data, dict) or not isinstance(data.get("prefectures"), list):
        raise ValueError("行政区划文件有误：应包含code、name和prefectures。")
    province_code = _code(data.get("code"), "省级")
    if not province_code.endswith("0000"):
        raise ValueError(f"行政区划文件有误：省级代码{province_code}应以0000结尾。")
    province = Region(province_code, _name(data.get("name"), "省级"), "province", None)
    prefectures: list[Region] = []
    counties: list[Region] = []
    for item in data["prefectures"]:
        if not isinstance(item, dict):
            raise ValueError("行政区划文件有误：prefectures的每一项应为对象。")
        code = _code(item.get("code"), "州、市、地")
        name = _name(item.get("name"), code)
        if code[:2] != province_code[:2] or not code.endswith("00") or code == province_code:
            raise ValueError(f"行政区划文件有误：{code}{name}不是{province.name}的地级代码。")
        prefectures.append(Region(code, name, "prefecture", province_code))
        raw_counties = item.get("counties")
        if not isinstance(raw_counties, list) or not raw_counties:
            raise ValueError(f"行政区划文件有误：{name}没有列出县级行政区划。")
        for raw in raw_counties:
            if not isinstance(raw, dict):
                raise ValueError(f"行政区划文件有误：{name}的counties每一项应为对象。")
            county_code = _code(raw.get("code"), name)
            county_name = _name(raw.get("name"), county_code)
            if county_code[:4] != code[:4] or county_code.endswith("00"):
                raise ValueError(
                    f"行政区划文件有误：{county_code}{county_name}的前4位应与{name}（{code}）一致。"
                )
            counties.append(Region(county_code, county_name, "county", code))
    return RegionTree(province, prefectures, counties)


def load_regions(path: Path) -> RegionTree:
    """Read and validate a region file.

    The county-level cities administered directly by the autonomous region (the XPCC cities
    石河子市 659001, 阿拉尔市 659002 ... 白杨市 659012) are deliberately not in the Xinjiang
    file: they belong to none of the 14 prefecture-level bureaus that handle these filings,
    and a pseudo-prefecture 659000 would have no organ to route cases to.
    """
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return parse_regions(data)


@lru_cache(maxsize=4)
def _load_cached(path: str) -> RegionTree:
    return load_regions(Path(path))


def regions_path() -> Path:
    """Region file from the REGIONS_FILE environment variable, else the bundled Xinjiang file."""
    configured = os.environ.get("REGIONS_FILE")
    return Path(configured) if configured else DEFAULT_REGIONS_FILE


def get_regions() -> RegionTree:
    """The product's region tree, read once per file path."""
    return _load_cached(str(regions_path()))


def clear_regions_cache() -> None:
    """Forget the loaded files (tests, or after an administrator replaced the file)."""
    _load_cached.cache_clear()
