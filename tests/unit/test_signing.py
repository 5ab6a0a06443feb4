"""The organ's Ed25519 signature of a certificate's claim (flows/documents/signing.py): what it covers, where
the key comes from, and an offline check of a rendered certificate (printed text + QR code)."""

from __future__ import annotations

import dataclasses
import re
import stat
import threading
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from flows.documents import signing
from flows.documents.render import Issuer, certificate, render
from flows.documents.signing import Claim
from tests.support import decode_qr, qr_images, text_of

CLAIM = Claim(code="7KQ4M9XA2HTRABCDEFGHJKLMNP", number="乌公治备字〔2026〕88号", unit_name="新疆天山保安服务有限公司",
              credit_code="91650100MA77XXXX1A", kind="C", issued_on=date(2026, 11, 27))


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_signature_verifies_and_is_deterministic(key: Ed25519PrivateKey) -> None:
    signature = signing.sign(CLAIM, key)
    assert len(signature) == signing.SIGNATURE_CHARS and re.fullmatch(r"[A-Za-z0-9_-]+", signature)
    assert signing.sign(CLAIM, key) == signature  # same claim, same link in the QR code
    assert signing.verify(CLAIM, signature, key.public_key())


@pytest.mark.parametrize("change", [
    {"code": "7KQ4M9XA2HTRABCDEFGHJKLMNQ"},
    {"number": "乌公治备字〔2026〕89号"},
    {"unit_name": "新疆天山保安服务有限责任公司"},
    {"credit_code": "91650100MA77XXXX1B"},
    {"kind": "B"},
    {"issued_on": date(2026, 11, 28)},
])
def test_changing_any_signed_field_breaks_the_signature(key: Ed25519PrivateKey, change: dict[str, object]) -> None:
    signature = signing.sign(CLAIM, key)
    assert not signing.verify(dataclasses.replace(CLAIM, **change), signature, key.public_key())  # type: ignore[arg-type]


def test_another_key_and_malformed_signatures_do_not_verify(key: Ed25519PrivateKey) -> None:
    signature = signing.sign(CLAIM, key)
    assert not signing.verify(CLAIM, signature, Ed25519PrivateKey.generate().public_key())
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    for bad in ("", "x", signature[:-1], signature + "A", flipped, "!" * 86, signature + "==", " " * 86):
        assert not signing.verify(CLAIM, bad, key.public_key()), bad


def test_a_line_break_cannot_smuggle_another_field_nor_stop_the_signing(key: Ed25519PrivateKey) -> None:
    # A unit name typed with a line break used to crash certificate signing at approval.
    broken = dataclasses.replace(CLAIM, unit_name="甲公司\r\n91650100MA77XXXX1A\u2028乙")
    signature = signing.sign(broken, key)
    assert signing.verify(broken, signature, key.public_key())
    assert len(broken.canonical().split(b"\n")) == len(CLAIM.canonical().split(b"\n"))  # still one line per field
    assert not signing.verify(dataclasses.replace(CLAIM, unit_name="甲公司"), signature, key.public_key())
    assert signing.sign(CLAIM, key) == signing.sign(dataclasses.replace(CLAIM), key)  # names without one: as before


@pytest.fixture
def keys_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KEYS_DIR's default place: the folder `keys` beside DATA_DIR (no KEYS_DIR, no key file configured)."""
    monkeypatch.delenv("KEYS_DIR", raising=False)
    monkeypatch.delenv(signing.KEY_FILE_ENV, raising=False)
    return data_dir.parent / "keys"


def test_the_key_is_made_once_in_the_keys_folder_outside_the_data_private_and_reused(data_dir: Path,
                                                                                       keys_dir: Path) -> None:
    first = signing.private_key()
    path = keys_dir / signing.DEFAULT_KEY_NAME
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    assert list(data_dir.iterdir()) == []  # nothing in DATA_DIR, so no data backup holds the key
    assert b"PRIVATE KEY" in path.read_bytes()
    assert signing.key_id() == signing.key_id(first.public_key())
    signature = signing.sign(CLAIM)
    assert signing.verify(CLAIM, signature)  # the next use reads the same key
    assert signing.verify(CLAIM, signature, first.public_key())
    assert "BEGIN PUBLIC KEY" in signing.public_key_pem()


def test_a_key_an_older_version_kept_in_the_data_moves_to_the_keys_folder_and_old_signatures_verify(
        data_dir: Path, keys_dir: Path, key: Ed25519PrivateKey) -> None:
    pem = _pem(key)
    legacy = data_dir / signing.DEFAULT_KEY_NAME
    legacy.write_bytes(pem)
    legacy.chmod(0o600)
    issued_before = signing.sign(CLAIM, key)  # a certificate the older version issued

    assert signing.key_id() == signing.key_id(key.public_key())  # the same key, not a new one
    assert signing.verify(CLAIM, issued_before)  # the certificate still verifies with the published key
    moved = keys_dir / signing.DEFAULT_KEY_NAME
    assert moved.read_bytes() == pem and stat.S_IMODE(moved.stat().st_mode) == 0o600
    assert not legacy.exists()
    assert signing.sign(CLAIM) == issued_before  # and signs as before (Ed25519 is deterministic)


def test_a_key_already_in_the_keys_folder_is_never_replaced_by_one_left_in_the_data(
        data_dir: Path, keys_dir: Path, key: Ed25519PrivateKey) -> None:
    current = signing.key_id()
    (data_dir / signing.DEFAULT_KEY_NAME).write_bytes(_pem(key))
    assert signing.key_id() == current != signing.key_id(key.public_key())


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_processes_starting_together_agree_on_one_key(data_dir: Path, keys_dir: Path) -> None:
    ids: list[str] = []

    def make() -> None:
        ids.append(signing.key_id())

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert [p.name for p in keys_dir.iterdir()] == [signing.DEFAULT_KEY_NAME]  # no temporary files left
    assert list(data_dir.iterdir()) == []


def test_a_configured_key_file_is_used_and_never_made_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         key: Ed25519PrivateKey) -> None:
    path = tmp_path / "organ.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    monkeypatch.setenv(signing.KEY_FILE_ENV, str(path))
    assert signing.verify(CLAIM, signing.sign(CLAIM), key.public_key())
    monkeypatch.setenv(signing.KEY_FILE_ENV, str(tmp_path / "missing.pem"))
    with pytest.raises(FileNotFoundError):
        signing.private_key()
    assert not (tmp_path / "missing.pem").exists()


# ------------------------------------------------------------------ offline check of a rendered certificate
MATTER_C = "自行招用保安员单位备案"


def signed_certificate(claim: Claim, key: Ed25519PrivateKey, *, printed_unit: str | None = None) -> bytes:
    """A filing certificate whose QR code carries the signature of `claim`; `printed_unit` forges the text."""
    url = f"https://verify.example.gov.cn/verify?code={claim.code}&sig={signing.sign(claim, key)}"
    unit = printed_unit or claim.unit_name
    spec = certificate(title="备案证明", number=claim.number,
                       issuer=Issuer(organ="乌鲁木齐市公安局", undertaker=None, province="新疆维吾尔自治区"),
                       issued_on=claim.issued_on, addressee=None,
                       paragraphs=[f"{unit}自行招用保安员的备案材料收悉。经审核，予以备案。特此证明。"],
                       table=[("备案编号", claim.number), ("备案单位", unit), ("统一社会信用代码", claim.credit_code),
                              ("备案事项", MATTER_C), ("备案日期", f"{claim.issued_on.year}年{claim.issued_on.month}月"
                                                              f"{claim.issued_on.day}日"),
                              ("办件编号", "C20261127000045")],
                       verification_code=claim.code, verify_url=url)
    return render(spec)


def claim_as_printed(pdf: bytes) -> Claim:
    """What a person (or a program) reads off a filing certificate of kind C."""
    text = text_of(pdf)
    unit, credit = re.search(r"备案单位(.+?)统一社会信用代码([0-9A-Z]{18})", text).groups()  # type: ignore[union-attr]
    number = re.search(r"备案编号(.+?号)", text).group(1)  # type: ignore[union-attr]
    year, month, day = map(int, re.search(r"备案日期(\d{4})年(\d+)月(\d+)日", text).groups())  # type: ignore[union-attr]
    code = re.search(r"验证码：([A-Z0-9]+)扫码", text).group(1)  # type: ignore[union-attr]
    assert MATTER_C in text
    return Claim(code=code, number=number, unit_name=unit, credit_code=credit, kind="C",
                 issued_on=date(year, month, day))


def signature_in_qr(pdf: bytes) -> str:
    (image,) = qr_images(pdf)
    decoded = decode_qr(image)
    if not decoded:
        pytest.fail("no QR decoded: zxing-cpp (requirements-dev.txt) is missing or the QR is unreadable")
    return parse_qs(urlsplit(decoded[0]).query)["sig"][0]


def test_a_genuine_certificate_verifies_offline_from_its_print_and_qr_code(key: Ed25519PrivateKey) -> None:
    pdf = signed_certificate(CLAIM, key)
    assert claim_as_printed(pdf) == CLAIM
    assert signing.verify(claim_as_printed(pdf), signature_in_qr(pdf), key.public_key())


def test_a_certificate_with_edited_text_does_not_verify_offline(key: Ed25519PrivateKey) -> None:
    """The forger keeps the genuine QR code and changes the printed unit name."""
    forged = signed_certificate(CLAIM, key, printed_unit="新疆冒名保安服务有限公司")
    read = claim_as_printed(forged)
    assert read.unit_name == "新疆冒名保安服务有限公司"
    assert not signing.verify(read, signature_in_qr(forged), key.public_key())


def test_a_certificate_signed_with_another_key_does_not_verify(key: Ed25519PrivateKey) -> None:
    forged = signed_certificate(CLAIM, Ed25519PrivateKey.generate())
    assert not signing.verify(claim_as_printed(forged), signature_in_qr(forged), key.public_key())
