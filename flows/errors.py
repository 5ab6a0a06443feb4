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
