"""Where the product's keys are kept: env KEYS_DIR, default the folder `keys` beside DATA_DIR (data/keys beside
data/runtime), never inside DATA_DIR, so a copy of the data or a data backup (scripts/backup.py) holds no key.

The one definition of that place: the certificate signing key (flows/documents/signing.py) and the store's keys
(store/keys.py: data keys, screening key, audit keys) all use it. The folder is made 0700.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def data_dir_setting() -> Path:
    """DATA_DIR as configured (default data/runtime), without creating it."""
    return Path(os.environ.get("DATA_DIR") or _REPO / "data" / "runtime")


def keys_dir() -> Path:
    """The keys' folder (env KEYS_DIR, default `keys` beside DATA_DIR), created 0700."""
    configured = os.environ.get("KEYS_DIR")
    path = Path(configured) if configured else data_dir_setting().parent / "keys"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
