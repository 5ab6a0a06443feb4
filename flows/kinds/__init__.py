"""The registry of filings: every module in this package that defines FILING is one kind.

Adding a filing is adding a module here; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from flows.schema import Filing


@cache
def all_filings() -> dict[str, Filing]:
    """Every filing by its kind letter, validated once."""
    found: dict[str, Filing] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        filing = getattr(module, "FILING", None)
        if isinstance(filing, Filing):
            if filing.kind in found:
                raise ValueError(f"two filings claim kind {filing.kind}")
            found[filing.kind] = filing
    return dict(sorted(found.items()))


def get_filing(kind: str) -> Filing:
    """The filing definition of one kind; KeyError if unknown."""
    return all_filings()[kind]
