"""The pure rules of identity: passwords, TOTP steps, recovery codes, growing delays, safe redirects, and the
client address behind a proxy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from flows.errors import FieldError
from flows.identity import passwords, totp
from flows.identity.sessions import safe_next
from flows.identity.throttle import LOGIN, PAIR, after_failure, login_keys, wait_seconds

NOW = datetime(2026, 12, 5, 10, 0, 0, tzinfo=UTC)
SECRET = pyotp.random_base32()


@pytest.mark.parametrize(("password", "says"), [
    ("Ab1", "至少8位"), ("abcdefgh", "字母和数字"), ("12345678", "字母和数字"), ("abc 12345", "空格"),
    ("Password123", "太常见"), ("QWER1234", "太常见"), ("Woaini1314", "太常见"), ("Demo2026abc", "太常见"),
    ("x13899991234y", "手机号码"),
])
def test_weak_passwords_are_refused_with_the_reason(password: str, says: str) -> None:
    with pytest.raises(FieldError, match=says):
        passwords.check_password(password, personal=["13899991234"])


def test_a_good_password_passes_and_a_one_time_password_meets_the_rules() -> None:
    assert passwords.check_password("Tianshan9Snowfall") == "Tianshan9Snowfall"
    for _ in range(20):
        one_time = passwords.one_time_password()
        assert passwords.check_password(one_time) == one_time and len(one_time) == 14


def test_staff_passwords_expire_after_ninety_days() -> None:
    assert not passwords.password_expired(NOW - timedelta(days=89), NOW)
    assert passwords.password_expired(NOW - timedelta(days=91), NOW)
    assert passwords.password_expired(None, NOW)


def test_a_totp_code_is_accepted_within_one_step_of_drift_and_never_twice() -> None:
    step = totp.step_of(NOW)
    for drift in (-1, 0, 1):
        code = pyotp.TOTP(SECRET).generate_otp(step + drift)
        assert totp.accepted_step(SECRET, code, last_step=None, now=NOW) == step + drift
    code = pyotp.TOTP(SECRET).generate_otp(step)
    assert totp.accepted_step(SECRET, code, last_step=step, now=NOW) is None  # used already
    assert totp.accepted_step(SECRET, pyotp.TOTP(SECRET).generate_otp(step - 2), last_step=None, now=NOW) is None
    assert totp.accepted_step(SECRET, "12a456", last_step=None, now=NOW) is None
    assert totp.accepted_step(SECRET, f" {code[:3]} {code[3:]} ", last_step=None, now=NOW) == step


def test_recovery_codes_are_ten_distinct_and_read_in_any_case() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10 and all(totp.looks_like_recovery_code(c) for c in codes)
    assert totp.recovery_hash(codes[0].upper()) == totp.recovery_hash(codes[0].replace("-", ""))
    assert not totp.looks_like_recovery_code("123456")
    assert totp.provisioning_uri(SECRET, login="xian650102", issuer="新疆维吾尔自治区公安厅").startswith("otpauth://totp/")


def test_delays_grow_from_one_second_to_their_cap_and_start_again_after_the_window() -> None:
    state = None
    waits = []
    for _ in range(PAIR.free + 12):
        state = after_failure(state, "k", PAIR, NOW)
        waits.append(wait_seconds(state, NOW))
    assert waits[:PAIR.free] == [0] * PAIR.free
    assert waits[PAIR.free:PAIR.free + 4] == [1, 2, 4, 8]
    assert max(waits) == PAIR.max_delay.total_seconds()
    spread = None
    for _ in range(LOGIN.free + 20):
        spread = after_failure(spread, "l", LOGIN, NOW)
    assert wait_seconds(spread, NOW) == 60  # guessed from everywhere: the real user waits a minute at most
    fresh = after_failure(state, "k", PAIR, NOW + PAIR.window + timedelta(seconds=1))
    assert fresh.failures == 1 and fresh.blocked_until is None


def test_throttle_keys_keep_no_login_name_and_are_per_portal() -> None:
    internet = login_keys("internet", "zhou650100", "203.0.113.7")
    police = login_keys("police", "zhou650100", "203.0.113.7")
    assert not any("zhou650100" in key for key in internet)
    assert {k for k in internet if not k.startswith("address:")}.isdisjoint(police)
    assert "address:203.0.113.7" in internet and "address:203.0.113.7" in police


@pytest.mark.parametrize(("path", "safe"), [
    ("/assistant", "/assistant"), ("/password?changed=1", "/password?changed=1"), ("//evil.example/", "/"),
    ("https://evil.example/", "/"), ("/\\evil", "/"), ("", "/"), ("/case?id=1&x=<script>", "/"),
])
def test_after_login_the_browser_goes_only_to_a_page_of_this_site(path: str, safe: str) -> None:
    assert safe_next(path) == safe
