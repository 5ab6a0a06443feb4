"""Domain errors: each carries a message in plain Chinese that the page shows as is."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the business raises; `message` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FieldError(DomainError):
    """An answer that cannot be accepted; `field` names the question or column it belongs to."""

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.row = row


class ActRefused(DomainError):
    """A review act that this person may not do on this case at this stage."""


class StaleCase(DomainError):
    """The case changed since the page was drawn: someone else acted first."""

    def __init__(self, message: str = "此办件已被他人处理，请刷新后查看最新状态。") -> None:
        super().__init__(message)


class NotFound(DomainError):
    """The thing asked for does not exist, or is outside the asker's reach (never say which)."""

    def __init__(self, message: str = "未找到该办件，或您无权查看。") -> None:
        super().__init__(message)


def refuse_too_long(label: str, text: str, most: int, *, then: str = "提交", field: str | None = None) -> None:
    """A person's text over its limit is refused with its name and length, never cut short: the form keeps it
    to be shortened. `then`: what the person does next (提交, 办理, 保存)."""
    if len(text) > most:
        raise FieldError(f"{label}最多{most}个字，您填写了{len(text)}个字，请精简后再{then}。", field=field)
