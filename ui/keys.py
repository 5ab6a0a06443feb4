"""Session-state keys that more than one module (or a test) reads or writes, by name.

A key one module keeps to itself stays a constant in that module."""

from __future__ import annotations

# the frame of every page (ui/layout.py)
PAGE_ID = "page_id"  # the registry id of the page this run draws
DEMO_DATA_CHECKED = "demo_data_checked"
FEEDBACK_STEP = "feedback_step"  # where the user is, for a feedback report: step, kind, case
FEEDBACK_KIND = "feedback_kind"
FEEDBACK_CASE = "feedback_case"
FEEDBACK_NONCE = "feedback_nonce"
FEEDBACK_THANKS = "feedback_thanks"

# the session (ui/session.py, ui/login.py)
ACCOUNT_CHECKED = "account_checked"
EXPIRED = "expired"  # the session ended while the page was open: say so on the next page
LOGGED_OUT = "logged_out"
LOGIN_TICKET = "login_ticket"
SECOND_FACTOR_MISSING = "second_factor_missing"
TOTP_SECRET = "totp_secret"
VISITOR_FALLBACK = "visitor_fallback"

# the assistant (pages/assistant.py, ui/conversation.py, ui/ask.py, ui/precheck.py)
CASE_ID = "case_id"  # the case the assistant (or the officer's case page) works on
KIND = "kind"  # the filing the applicant chose
CHOOSING = "choosing"  # the applicant is choosing a filing
RESUMED = "resumed"
EDITING = "editing"  # the question being answered again
ASK_NONCE = "ask_nonce"
JUST_REGISTERED = "just_registered"  # shown until the first answer: the account was made a moment ago
STEP_SLOT = "step_slot"  # which of the assistant's two places shows the current step (ui/conversation.run)
