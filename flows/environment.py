"""Demo or production: env APP_ENV (unset or `demo`: the demo `make run` serves; `production`: a real service).

In production the demo seed is refused, registration needs a real SMS gateway, and nothing is marked 演示环境.
"""

from __future__ import annotations

import os
from enum import StrEnum

DEMO_MARK = "演示环境"


class Environment(StrEnum):
    DEMO = "demo"
    PRODUCTION = "production"


def current() -> Environment:
    """The environment this process runs in; an unknown value stops it rather than guessing."""
    raw = os.environ.get("APP_ENV", "").strip().lower()
    if not raw:
        return Environment.DEMO
    try:
        return Environment(raw)
    except ValueError:
        raise ValueError(f"APP_ENV must be 'demo', 'production' or unset, not {raw!r}") from None


def is_demo() -> bool:
    return current() == Environment.DEMO
