"""The audit log's anchors outside its database: the chain key and signed checkpoints.

- **Chain key** (HMAC-SHA256, store/audit.py): env AUDIT_CHAIN_KEY (64 hex digits), else env
  AUDIT_CHAIN_KEY_FILE, else `<KEYS_DIR>/audit-chain.key`, made once with mode 0600. The database
  never holds it: whoever can write the database (even drop its triggers) cannot forge an entry.
- **Checkpoint key** (Ed25519): env AUDIT_CHECKPOINT_KEY_FILE, else `<KEYS_DIR>/audit-checkpoint.pem`
  (0600). A key of its own, not the certificates' (flows/documents/signing.py): the certificate key is published
  to the public by its fingerprint and may be rotated for its own reasons; the audit key is only for
  the auditor, and a leak of one does not touch the other.
- **Checkpoints**: `<AUDIT_DIR>/checkpoints.jsonl`, append-only (O_APPEND, 0600, folder 0700), one
  signed JSON line each: the id and hash of the last entry at that moment, and `legacy_until`, the
  last entry written with the old keyless chain (the switch point, recorded by the first line).

KEYS_DIR and AUDIT_DIR default to `keys` and `audit` beside DATA_DIR (data/runtime -> data/keys,
data/audit), so that a backup of DATA_DIR carries neither; back the keys up on their own
(docs/audit-log.md).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

REPO = Path(__file__).resolve().parent.parent
CONTEXT = b"BAOAN-AUDIT-CHECKPOINT-V1\n"
FILE_NAME = "checkpoints.jsonl"


def _beside_data(name: str) -> Path:
    data = Path(os.environ.get("DATA_DIR") or REPO / "data" / "runtime")
    return data.resolve().parent / name


def keys_dir() -> Path:
    """The keys' folder shared with the data keys (`store.keys`)."""
    from store.keys import keys_dir as shared

    return shared()


def audit_dir() -> Path:
    return Path(os.environ.get("AUDIT_DIR") or _beside_data("audit"))


def checkpoint_file() -> Path:
    return audit_dir() / FILE_NAME


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _write_new(path: Path, data: bytes) -> None:
    """Write a new key file (0600) atomically; a file another process wrote meanwhile wins."""
    _private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        Path(tmp).unlink(missing_ok=True)


# ------------------------------------------------------------------ keys
def chain_key() -> bytes:
    """The HMAC key of the audit chain (32 bytes); made on first use when none is configured."""
    configured = os.environ.get("AUDIT_CHAIN_KEY", "").strip()
    if configured:
        key = bytes.fromhex(configured)
        if len(key) < 32:
            raise ValueError("AUDIT_CHAIN_KEY must be at least 32 bytes (64 hex digits)")
        return key
    named = os.environ.get("AUDIT_CHAIN_KEY_FILE")
    path = Path(named) if named else keys_dir() / "audit-chain.key"
    if not path.exists():
        if named:
            raise FileNotFoundError(f"AUDIT_CHAIN_KEY_FILE names a missing file: {path}")
        _write_new(path, secrets.token_hex(32).encode("ascii"))
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) < 32:
        raise ValueError(f"{path}: the audit chain key must be at least 32 bytes")
    return key


def _checkpoint_key_path() -> Path:
    named = os.environ.get("AUDIT_CHECKPOINT_KEY_FILE")
    return Path(named) if named else keys_dir() / "audit-checkpoint.pem"


def checkpoint_private_key() -> Ed25519PrivateKey:
    path = _checkpoint_key_path()
    if not path.exists():
        if os.environ.get("AUDIT_CHECKPOINT_KEY_FILE"):
            raise FileNotFoundError(f"AUDIT_CHECKPOINT_KEY_FILE names a missing file: {path}")
        _write_new(path, Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def checkpoint_public_key() -> Ed25519PublicKey:
    return checkpoint_private_key().public_key()


# ------------------------------------------------------------------ checkpoints
@dataclass(frozen=True)
class Checkpoint:
    """The log as it stood: its last entry's id and hash (0 and the genesis hash when empty)."""

    last_id: int
    last_hash: str
    legacy_until: int  # entries up to this id were written with the keyless chain (before the switch)
    at: str
    reason: str

    def fields(self) -> dict[str, Any]:
        return {"last_id": self.last_id, "last_hash": self.last_hash, "legacy_until": self.legacy_until,
                "at": self.at, "reason": self.reason}


def _canonical(fields: dict[str, Any]) -> bytes:
    return CONTEXT + json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


def append_checkpoint(checkpoint: Checkpoint) -> None:
    """Add one signed line to the checkpoint file (created 0600 in a 0700 folder)."""
    fields = checkpoint.fields()
    signature = checkpoint_private_key().sign(_canonical(fields))
    line = json.dumps({**fields, "sig": base64.b64encode(signature).decode("ascii")}, sort_keys=True) + "\n"
    path = checkpoint_file()
    _private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one line at a time, whichever process writes it
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class CheckpointLog:
    checkpoints: list[Checkpoint]  # the lines whose signature verifies, in file order
    problems: list[str]  # lines that do not verify or cannot be read

    @property
    def last(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


def read_checkpoints(path: Path | None = None, *, first_only: bool = False) -> CheckpointLog:
    """Every line of the checkpoint file (or only its first), each checked against the checkpoint key's
    signature."""
    path = path or checkpoint_file()
    if not path.exists():
        return CheckpointLog([], [])
    public = checkpoint_public_key()
    good: list[Checkpoint] = []
    problems: list[str] = []
    if first_only:
        with path.open("rb") as handle:
            lines = [handle.readline()]
    else:
        lines = path.read_bytes().splitlines()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            signature = base64.b64decode(record.pop("sig"), validate=True)
            checkpoint = Checkpoint(last_id=int(record["last_id"]), last_hash=str(record["last_hash"]),
                                    legacy_until=int(record["legacy_until"]), at=str(record["at"]),
                                    reason=str(record["reason"]))
            if checkpoint.fields() != record:
                raise ValueError("unexpected fields")
            public.verify(signature, _canonical(checkpoint.fields()))
        except InvalidSignature:
            problems.append(f"检查点文件第{number}行的签名无效（检查点被改动）")
            continue
        except (ValueError, KeyError, TypeError):
            problems.append(f"检查点文件第{number}行无法读取（检查点被改动）")
            continue
        good.append(checkpoint)
    return CheckpointLog(good, problems)


def last_checkpointed_id() -> int | None:
    """The last id the file records (its last line, signature not checked: only to pace checkpoints)."""
    path = checkpoint_file()
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 4096))
            lines = handle.read().splitlines()
        return int(json.loads(lines[-1])["last_id"]) if lines else None
    except (OSError, ValueError, KeyError, IndexError):
        return None
