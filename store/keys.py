"""Keys kept outside the data, and encryption at rest of personal ID numbers.

The keys live in KEYS_DIR (env; default the folder `keys` beside DATA_DIR, e.g. data/keys beside
data/runtime), never in DATA_DIR, so a copy of the data or a data backup holds no key
(docs/operations.md, "Keys"). Folder 0700, files 0600.

- The data keyring (AES-256-GCM): env BAOAN_DATA_KEY (`id:base64key` entries separated by commas, the
  first one current), else the file KEYS_DIR/data.keys (one `id base64key` a line, the last one current),
  made with one random key on first use. Every ciphertext names the key that made it
  (`enc1:<id>:<base64 nonce+ciphertext>`), so older keys stay usable for reading after a rotation.
- The screening HMAC key (store.screening.secret_key): KEYS_DIR/screening.key unless SCREENING_SECRET.

What is encrypted (`seal`): in a stored JSON value, every string holding an 18-character resident ID
number (answers, roster rows, free text), and every string that could be mistaken for a ciphertext.
The rest of the structure stays as it is (the ledger counts roster rows in SQL). The store encrypts on
write and decrypts on read (store/uow.py, store/ledger.py): flows see plain values.

    python -m store.keys rotate       # a new current key in data.keys, then re-encrypt every row
    python -m store.keys reencrypt    # re-encrypt every row with the current key (after changing BAOAN_DATA_KEY)
    python -m store.keys status       # how many values each key holds, and any ID number left in clear
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from flows import key_folder

PREFIX = "enc1:"
# An 18-character resident ID number anywhere in a string (17 digits and a digit or X), not part of a longer number.
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
DATA_KEYS_FILE = "data.keys"


def owner_only() -> None:
    """Files and folders this process creates from now on are its owner's alone (umask 077)."""
    os.umask(0o077)


def keys_dir() -> Path:
    """Where the keys are kept (env KEYS_DIR, default `keys` beside DATA_DIR), created 0700: flows.key_folder."""
    return key_folder.keys_dir()


def write_new_file(path: Path, text: str) -> bool:
    """Create `path` with mode 0600 holding `text`; False if it exists already (another process made it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return True


class DataKeyError(ValueError):
    """A ciphertext names a key the keyring does not hold, or does not verify."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]

    def encrypt(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, text.encode("utf-8"), self.current.encode())
        return f"{PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str) -> str:
        key_id, _, body = token[len(PREFIX):].partition(":")
        key = self.keys.get(key_id)
        if key is None:
            raise DataKeyError(f"no data key {key_id!r} in the keyring (KEYS_DIR/{DATA_KEYS_FILE} or BAOAN_DATA_KEY)")
        raw = base64.b64decode(body)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], key_id.encode()).decode("utf-8")
        except Exception as error:  # InvalidTag: changed, or made with another key of that id
            raise DataKeyError(f"a value encrypted with data key {key_id!r} does not verify") from error


def _parse_key(key_id: str, encoded: str) -> tuple[str, bytes]:
    key = base64.b64decode(encoded.strip())
    if not _KEY_ID.match(key_id) or len(key) != 32:
        raise ValueError("a data key is `id base64(32 bytes)` with an id of letters, digits, - or _")
    return key_id, key


def new_key_line() -> str:
    return f"k{secrets.token_hex(4)} {base64.b64encode(secrets.token_bytes(32)).decode('ascii')}\n"


def data_key() -> str:
    """A new key in BAOAN_DATA_KEY's form (`id:base64key`)."""
    return new_key_line().strip().replace(" ", ":", 1)


def _data_keys_path() -> Path:
    return keys_dir() / DATA_KEYS_FILE


_cache: dict[tuple[Any, ...], Keyring] = {}


def keyring() -> Keyring:
    """The data keyring: BAOAN_DATA_KEY, else KEYS_DIR/data.keys (made with one random key on first use)."""
    configured = os.environ.get("BAOAN_DATA_KEY")
    if configured:
        cached = _cache.get(("env", configured))
        if cached is None:
            pairs = [_parse_key(*entry.strip().split(":", 1)) for entry in configured.split(",") if entry.strip()]
            cached = _cache[("env", configured)] = Keyring(pairs[0][0], dict(pairs))
        return cached
    path = _data_keys_path()
    if not path.exists():
        write_new_file(path, new_key_line())
    stat = path.stat()
    for _ in range(50):  # another process made the file this instant and is writing its key
        if stat.st_size:
            break
        time.sleep(0.02)
        stat = path.stat()
    tag = ("file", str(path), stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(tag)
    if cached is None:
        pairs = [_parse_key(*line.split(None, 1)) for line in path.read_text().splitlines() if line.strip()
                 and not line.startswith("#")]
        if not pairs:
            raise ValueError(f"{path} holds no key")
        cached = _cache[tag] = Keyring(pairs[-1][0], dict(pairs))
    return cached


def add_key() -> str:
    """Append a new key to KEYS_DIR/data.keys (it becomes the current one); returns its id."""
    if os.environ.get("BAOAN_DATA_KEY"):
        raise ValueError("the keys come from BAOAN_DATA_KEY: put the new key first there, then run reencrypt")
    keyring()  # the file exists, with the first key
    line = new_key_line()
    with open(_data_keys_path(), "a") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return line.split()[0]


def _sensitive(text: str) -> bool:
    return text.startswith(PREFIX) or ID_NUMBER.search(text) is not None


def seal(value: Any, ring: Keyring | None = None) -> Any:
    """`value` (JSON) with every string holding an ID number encrypted; the structure stays."""
    ring = ring or keyring()
    if isinstance(value, str):
        return ring.encrypt(value) if _sensitive(value) else value
    if isinstance(value, list):
        return [seal(v, ring) for v in value]
    if isinstance(value, dict):
        return {k: seal(v, ring) for k, v in value.items()}
    return value


def unseal(value: Any, ring: Keyring | None = None) -> Any:
    """The plain value of what `seal` made (clear values pass as they are)."""
    if isinstance(value, str):
        return (ring or keyring()).decrypt(value) if value.startswith(PREFIX) else value
    if isinstance(value, list):
        return [unseal(v, ring) for v in value]
    if isinstance(value, dict):
        return {k: unseal(v, ring) for k, v in value.items()}
    return value


def seal_whole(value: Any, ring: Keyring | None = None) -> str:
    """All of `value` as one ciphertext (kept, never searched: an answer's earlier value)."""
    return (ring or keyring()).encrypt(json.dumps(value, ensure_ascii=False, default=str))


def unseal_whole(token: str, ring: Keyring | None = None) -> Any:
    return json.loads((ring or keyring()).decrypt(token))


def ciphertexts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith(PREFIX):
            yield value
    elif isinstance(value, list):
        for v in value:
            yield from ciphertexts(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from ciphertexts(v)


def key_ids(value: Any) -> list[str]:
    """The ids of the keys that encrypted the strings of `value`."""
    return [token[len(PREFIX):].split(":", 1)[0] for token in ciphertexts(value)]


def has_clear_id(value: Any) -> bool:
    if isinstance(value, str):
        return not value.startswith(PREFIX) and ID_NUMBER.search(value) is not None
    if isinstance(value, list):
        return any(has_clear_id(v) for v in value)
    if isinstance(value, dict):
        return any(has_clear_id(v) for v in value.values())
    return False


def reseal(value: Any, ring: Keyring) -> Any:
    """`value` encrypted with the current key, or None when it already is (nothing in clear, no old key)."""
    if not has_clear_id(value) and all(k == ring.current for k in key_ids(value)):
        return None
    return seal(unseal(value, ring), ring)


def reencrypt(engine: Any, *, batch: int = 500) -> dict[str, int]:
    """Encrypt with the current key every answer, answer history value and value before a correction that is
    not yet (rotation, or clear rows); one transaction per batch, so it can run while the app serves. Returns
    counts per table."""
    from sqlmodel import col

    from store.models import Answer, AnswerHistory, CaseDraftState

    ring = keyring()

    def resealed_token(token: Any) -> Any:  # a history value is one sealed string (seal_whole), not a structure
        if not token or token.startswith(f"{PREFIX}{ring.current}:"):
            return None
        return seal_whole(unseal_whole(token, ring), ring)

    def resealed(value: Any) -> Any:
        return reseal(value, ring) if value is not None else None

    return {
        "answer": _reseal_column(engine, col(Answer.id), col(Answer.value), resealed, batch),
        "answerhistory": _reseal_column(engine, col(AnswerHistory.id), col(AnswerHistory.old_value),
                                        resealed_token, batch),
        "casedraftstate": _reseal_column(engine, col(CaseDraftState.case_id),
                                         col(CaseDraftState.before_correction), resealed, batch),
    }


def _reseal_column(engine: Any, key: Any, column: Any, resealed: Callable[[Any], Any], batch: int) -> int:
    """Walk `column` by its table's `key` in batches (a write transaction each); write `resealed(value)` where
    it is not None. The number of rows changed."""
    from sqlalchemy import select, update

    from store.db import write_session

    table, changed, last = column.class_, 0, None
    while True:
        with write_session(engine) as session:
            query = select(key, column).order_by(key).limit(batch)
            rows = session.execute(query if last is None else query.where(key > last)).all()
            for row_key, value in rows:
                fresh = resealed(value)
                if fresh is not None:
                    session.execute(update(table).where(key == row_key).values({column.key: fresh}))
                    changed += 1
            session.commit()
        if len(rows) < batch:
            return changed
        last = rows[-1][0]


def status(engine: Any) -> dict[str, Any]:
    """How many encrypted strings each key holds, and how many answers still hold an ID number in clear."""
    from sqlalchemy import select
    from sqlmodel import Session, col

    from store.models import Answer, AnswerHistory, CaseDraftState

    per_key: Counter[str] = Counter()
    clear = 0
    with Session(engine) as session:
        for (value,) in session.execute(select(col(Answer.value))):
            per_key.update(key_ids(value))
            clear += has_clear_id(value)
        for (token,) in session.execute(select(col(AnswerHistory.old_value))):
            per_key.update(key_ids(token))
        for (value,) in session.execute(select(col(CaseDraftState.before_correction))):
            per_key.update(key_ids(value))
            clear += has_clear_id(value)
    return {"current": keyring().current, "per_key": dict(per_key), "answers_with_clear_id": clear}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store.keys", description="Data keys and their rotation.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rotate", help=f"add a new current key to KEYS_DIR/{DATA_KEYS_FILE}, re-encrypt every row")
    commands.add_parser("reencrypt", help="re-encrypt every row with the current key")
    commands.add_parser("status", help="values per key; ID numbers left in clear")
    args = parser.parse_args(argv)
    owner_only()
    from store.db import default_engine

    engine = default_engine()
    try:
        if args.command == "rotate":
            key_id = add_key()
            print(f"new current data key {key_id}")
        if args.command in ("rotate", "reencrypt"):
            counts = reencrypt(engine)
            print(f"re-encrypted with {keyring().current}: {counts['answer']} answers, "
                  f"{counts['answerhistory']} earlier values")
        else:
            print(json.dumps(status(engine), ensure_ascii=False))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
