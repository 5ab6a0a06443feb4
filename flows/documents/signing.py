"""The issuing organ's signature on certificates (Ed25519), carried in the certificate's QR code.

What is signed (a `Claim`) is exactly what the certificate prints and the public page shows:
verification code, certificate number, unit name, credit code, kind of business and issue date.
The QR code leads to `/verify?code=<code>&sig=<signature>`; the verification page rebuilds the
claim from the archive and checks the signature with the public key, so

- a certificate with a made-up code carries no valid signature (and is not in the archive);
- an archive row changed behind the product's back no longer matches its signature;
- anyone holding the public key can check a certificate offline: read the printed fields, take
  the signature from the QR code, `verify`. A PDF whose printed unit, number, code or date was
  edited does not verify.

Together with the stored SHA-256 of every issued PDF (the page compares an uploaded file byte
for byte with the archive) this is the tamper evidence of REFERENCE §7.

Key: env CERT_SIGNING_KEY_FILE (a PKCS#8 PEM Ed25519 private key, the same file on every
replica), else `<KEYS_DIR>/certificate-signing.pem` (flows/key_folder.py: beside DATA_DIR, never in it, so no
data backup holds the key), made once with mode 0600. A key an older version kept at
`<DATA_DIR>/certificate-signing.pem` moves there on first use: the same key, so the certificates it signed
still verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from flows import key_folder

KEY_FILE_ENV = "CERT_SIGNING_KEY_FILE"
DEFAULT_KEY_NAME = "certificate-signing.pem"
CONTEXT = "BAOAN-CERT-V1"  # names the format: a signature of another purpose or version never matches
SIGNATURE_CHARS = 86  # 64 bytes, base64url without padding


_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


@dataclass(frozen=True)
class Claim:
    """What a certificate asserts, as printed on it and shown by the verification page."""

    code: str  # the verification code, normalised (upper case, no separators)
    number: str  # the certificate number
    unit_name: str
    credit_code: str
    kind: str  # A, B, C or D
    issued_on: date

    def canonical(self) -> bytes:
        """The signed bytes: the context, then each field on its own line, NFC, UTF-8."""
        fields = (self.code, self.number, self.unit_name, self.credit_code, self.kind, self.issued_on.isoformat())
        lines = [CONTEXT]
        for value in fields:
            # A line break inside a field (a unit name typed with one) is read as a space: the lines stay the
            # fields, and a name without one signs exactly as before.
            text = _LINE_BREAKS.sub(" ", unicodedata.normalize("NFC", value.strip()))
            lines.append(text)
        return "\n".join(lines).encode("utf-8")


# ------------------------------------------------------------------ keys
def key_path() -> Path:
    configured = os.environ.get(KEY_FILE_ENV)
    if configured:
        return Path(configured)
    return key_folder.keys_dir() / DEFAULT_KEY_NAME


def legacy_key_path() -> Path:
    """Where an older version kept the key: in DATA_DIR, so every data backup held it."""
    return key_folder.data_dir_setting() / DEFAULT_KEY_NAME


def _write_new_key(path: Path, pem: bytes) -> None:
    """Write `pem` to `path` (0600) atomically, without replacing a key another process wrote meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if the file appeared meanwhile: theirs wins
        except FileExistsError:
            pass
    finally:
        Path(tmp).unlink(missing_ok=True)


def create_key_file(path: Path) -> None:
    """Write a new key atomically, without replacing one another process wrote meanwhile."""
    _write_new_key(path, Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def move_legacy_key(path: Path) -> bool:
    """Move a key kept in DATA_DIR by an older version to `path` (the same key: what it signed still verifies).
    The old file goes only once `path` holds exactly its bytes; False when there was none to move."""
    legacy = legacy_key_path()
    try:
        pem = legacy.read_bytes()
    except FileNotFoundError:
        return False
    _write_new_key(path, pem)
    if path.read_bytes() == pem:
        legacy.unlink(missing_ok=True)
    return True


@lru_cache(maxsize=8)
def _load_private(path: str, mtime_ns: int) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def private_key() -> Ed25519PrivateKey:
    """The organ's signing key; moved from DATA_DIR, or made, on first use when no key file is configured."""
    path = key_path()
    if not path.exists():
        if os.environ.get(KEY_FILE_ENV):
            raise FileNotFoundError(f"{KEY_FILE_ENV} names a missing file: {path}")
        if not move_legacy_key(path):
            create_key_file(path)
    return _load_private(str(path), path.stat().st_mtime_ns)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    """The public key to publish, so that anyone can check a certificate's signature."""
    key = key or public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey | None = None) -> str:
    """A short fingerprint of the public key: SHA-256 of its raw bytes, first 16 hex digits."""
    key = key or public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ------------------------------------------------------------------ sign and verify
def sign(claim: Claim, key: Ed25519PrivateKey | None = None) -> str:
    """The claim's signature as 86 base64url characters (Ed25519 is deterministic: same claim, same text)."""
    signature = (key or private_key()).sign(claim.canonical())
    return base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")


def verify(claim: Claim, signature: str, key: Ed25519PublicKey | None = None) -> bool:
    """True only when `signature` is the organ's signature of exactly this claim."""
    text = (signature or "").strip()
    if len(text) != SIGNATURE_CHARS:
        return False
    try:
        raw = base64.urlsafe_b64decode(text + "==")
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 64 or base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != text:
        return False  # only the one canonical spelling of a signature is accepted
    try:
        (key or public_key()).verify(raw, claim.canonical())
    except (InvalidSignature, ValueError):
        return False
    return True
