"""A place as printed: the chosen region and the detailed address typed after it, the region said once."""

from __future__ import annotations

from typing import Any

from flows.config import get_config
from flows.errors import FieldError
from flows.regions import get_regions


def place(region: Any, address: str) -> str:
    """Region and detailed address as one place, without saying the region twice
    (an address typed as 乌鲁木齐市天山区… is not printed as 乌鲁木齐市天山区乌鲁木齐市天山区…)."""
    address = address.strip()
    if not isinstance(region, dict):
        return address
    code = region.get("county") or region.get("prefecture")
    if not code:
        return address
    regions = get_regions()
    try:
        full = regions.full_name(str(code))
        named = regions.get(str(code)).name
    except (KeyError, FieldError):  # a code no longer in the regions file: the address alone
        return address
    province = get_config().province_name
    if address.startswith(province):
        return address
    for prefix in (full, full.removesuffix(named)):
        if prefix and address.startswith(prefix):
            return address
    if address.startswith(named) and full.endswith(named):
        return full.removesuffix(named) + address
    return full + address
