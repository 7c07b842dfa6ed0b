"""The one failure type of the kit: what was observed, what was expected, what to use."""

from __future__ import annotations


class CheckFailed(AssertionError):
    """A check's verdict, written for the learner.

    ``message`` says what happened and what was expected; ``advice`` (optional) names
    the concept to reach for; ``detail`` (optional) is a picture of what was observed,
    such as a timeline. The pytest plugin prints exactly this text, never a traceback
    of the harness.
    """

    def __init__(self, message: str, advice: str | None = None, detail: str | None = None) -> None:
        self.message = message.strip()
        self.advice = advice.strip() if advice else None
        self.detail = detail or None  # kept as given: a timeline Picture carries its schedule
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.message}\n{self.advice}" if self.advice else self.message
        return f"{text}\n\n{self.detail.rstrip()}" if self.detail else text


def is_time_limit(error: BaseException) -> bool:
    """Whether ``error`` is pytest-timeout stopping a check (it raises pytest's Failed)."""
    return type(error).__name__ == "Failed" and str(error).startswith("Timeout")
