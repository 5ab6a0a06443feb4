"""Accounts on a real database: registration, login with lock-out, sessions that survive a refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from flows.accounts import check_registration
from flows.clock import now
from flows.errors import DomainError, FieldError
from flows.review import Role
from store.accounts import authenticate, end_session, register_applicant, resume_session, start_session

REG = {"unit_name": "乌鲁木齐明辉物业服务有限公司", "credit_code": "91110000600037341L", "contact": "马丽",
       "mobile": "13899991234", "password": "Mingh2026x"}


def test_registration_creates_the_unit_and_logs_in_by_mobile(engine: Engine) -> None:
    account = register_applicant(engine, check_registration(REG))
    assert account.role == Role.APPLICANT and account.unit_name == REG["unit_name"]
    again = authenticate(engine, "13899991234", "Mingh2026x")
    assert again.user_id == account.user_id and again.credit_code == REG["credit_code"]


def test_a_weak_password_and_a_second_registration_are_refused_in_chinese(engine: Engine) -> None:
    with pytest.raises(FieldError, match="字母和数字"):
        check_registration({**REG, "password": "12345678"})
    register_applicant(engine, check_registration(REG))
    with pytest.raises(FieldError, match="已注册"):
        register_applicant(engine, check_registration(REG))
    with pytest.raises(FieldError, match="单位名称不一致"):
        register_applicant(engine, check_registration({**REG, "mobile": "13899991235", "unit_name": "别的公司"}))


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(engine: Engine) -> None:
    register_applicant(engine, check_registration(REG))
    start = now()
    for attempt in range(4):
        with pytest.raises(DomainError, match=f"再错{4 - attempt}次"):
            authenticate(engine, REG["mobile"], "wrong-pass1", now=start)
    with pytest.raises(DomainError, match="已锁定15分钟"):
        authenticate(engine, REG["mobile"], "wrong-pass1", now=start)
    with pytest.raises(DomainError, match="已锁定"):
        authenticate(engine, REG["mobile"], REG["password"], now=start + timedelta(minutes=14))
    assert authenticate(engine, REG["mobile"], REG["password"], now=start + timedelta(minutes=16)).login == REG["mobile"]


def test_a_session_token_resumes_until_idle_for_thirty_minutes_or_logged_out(engine: Engine) -> None:
    account = register_applicant(engine, check_registration(REG))
    token = start_session(engine, account.user_id)
    assert resume_session(engine, token) is not None
    assert resume_session(engine, token, now=now() + timedelta(minutes=31)) is None
    assert resume_session(engine, "forged-token") is None
    end_session(engine, token)
    assert resume_session(engine, token) is None
