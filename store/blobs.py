"""Uploaded and generated files, stored by content hash (a local folder by default)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from store.db import data_dir


def blob_dir() -> Path:
    path = Path(os.environ.get("BLOB_DIR") or data_dir() / "blobs")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return blob_dir() / sha256[:2] / sha256


def put(data: bytes) -> str:
    """Write the bytes durably (before any row points at them) and return their sha256."""
    digest = hashlib.sha256(data).hexdigest()
    target = _path(digest)
    if target.exists():
        return digest
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def get(sha256: str) -> bytes:
    return _path(sha256).read_bytes()


def exists(sha256: str) -> bool:
    return _path(sha256).exists()


def remove(sha256: str) -> None:
    """Delete a file no row names (the caller checked): a document rendered for an act that lost its race."""
    _path(sha256).unlink(missing_ok=True)
