"""Pilot feedback and service ratings (好差评): the use cases behind the feedback control, the rating of an
ended case and the province's triage of what came in. Storage is behind `FeedbackStore` (store/feedback.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flows.errors import DomainError, FieldError, refuse_too_long
from flows.identity.abuse import AddressLimiter, Rule
from flows.review.transitions import FINAL_STAGES, Stage

RATINGS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
STATUSES = {"new": "新提交", "accepted": "已采纳", "done": "已完成", "declined": "未采纳"}
FEEDBACK_MAX = 2000  # characters, as the feedback table keeps
REPLY_MAX = 1000
RATING_MAX = 500  # a rating's comment

# Feedback without an account: at most this many per client address and hour (in memory, so a reload does
# not reset it and no row is written to count).
ANONYMOUS_PER_HOUR = 10
ANONYMOUS_LIMITER = AddressLimiter(Rule(free_failures=1_000_000, attempts=ANONYMOUS_PER_HOUR,
                                        window=timedelta(hours=1)))


@dataclass(frozen=True)
class FeedbackRecord:
    """One feedback entry or rating as the pages show it."""

    id: int
    created_at: datetime
    user_id: int | None
    case_id: int | None
    page: str
    step: str
    kind: str
    category: str  # feedback | rating
    rating: str | None
    text: str
    status: str
    reply: str


@dataclass(frozen=True)
class NewFeedback:
    user_id: int | None
    page: str
    step: str
    kind: str
    text: str
    rating: str | None = None
    case_id: int | None = None
    category: str = "feedback"


class FeedbackStore(Protocol):
    def add(self, entry: NewFeedback) -> int:
        """Write the entry (audited); a rating of a case rated before raises DomainError."""
        ...

    def set_status(self, feedback_id: int, *, status: str, reply: str, actor_id: int) -> None: ...


def send_feedback(store: FeedbackStore, *, user_id: int | None, address: str, now: datetime, page: str,
                  step: str, kind: str, text: str, rating: str | None, case_id: int | None) -> int:
    """The feedback control's report: checked, limited for visitors without an account, then written."""
    text = text.strip()
    if not text:
        raise FieldError("请填写反馈内容。")
    refuse_too_long("反馈内容", text, FEEDBACK_MAX)
    if rating is not None and rating not in RATINGS:
        raise FieldError("评价等级无效。")
    if user_id is None:
        if wait := ANONYMOUS_LIMITER.wait_left(address, now):
            raise DomainError(f"本网络提交的反馈过于频繁，请约{max(1, (wait + 59) // 60)}分钟后再提交。"
                              "登录后提交不受此限制。")
        ANONYMOUS_LIMITER.attempted(address, now, failed=False)
    return store.add(NewFeedback(user_id=user_id, page=page, step=step, kind=kind, text=text, rating=rating,
                                 case_id=case_id))


def rate_case(store: FeedbackStore, *, user_id: int, case_id: int, kind: str, stage: Stage, rating: str,
              comment: str) -> int:
    """The unit's one rating of an ended case."""
    if stage not in FINAL_STAGES:
        raise DomainError("办件办结后才能评价。")
    if rating not in RATINGS:
        raise DomainError("请选择评价等级。")
    refuse_too_long("评价意见", comment.strip(), RATING_MAX)
    return store.add(NewFeedback(user_id=user_id, page="my_cases", step="办件评价", kind=kind,
                                 text=comment.strip(), rating=rating, case_id=case_id,
                                 category="rating"))


def triage(store: FeedbackStore, feedback_id: int, *, status: str, reply: str, actor_id: int) -> None:
    """The province's (or prefecture's) result for one entry, with a reply the sender reads."""
    if status not in STATUSES:
        raise DomainError("处理结果无效。")
    refuse_too_long("回复", reply.strip(), REPLY_MAX)
    store.set_status(feedback_id, status=status, reply=reply.strip(), actor_id=actor_id)
