"""What Clockwork said about each number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from airflow_provider_clockwork.protocol.codes import ClockworkErrorCode, is_permanent


@dataclass(frozen=True)
class SmsError:
    """One of Clockwork's numbered errors, for one number or for a whole request.

    ``code`` and ``description`` are what Clockwork sent, whether or not this provider
    knows the code: its table is unconfirmed, so an unknown code is kept and shown too.
    """

    code: int
    description: str

    @classmethod
    def of(cls, known: ClockworkErrorCode) -> SmsError:
        """The error Clockwork gives for a known code, with its text (as the emulator answers)."""
        return cls(known.code, known.description)

    @property
    def known_code(self) -> ClockworkErrorCode | None:
        """The code as a :class:`ClockworkErrorCode`, or None when this provider does not know it."""
        return ClockworkErrorCode.from_code(self.code)

    @property
    def permanent(self) -> bool:
        """True when a retry would get the same answer; unknown codes are transient."""
        return is_permanent(self.code)

    def __str__(self) -> str:
        return f"Error {self.code}: {self.description}"


@dataclass
class SendResult:
    """IDs for the numbers Clockwork accepted and errors for those it refused."""

    message_ids: dict[str, str] = field(default_factory=dict)
    errors: dict[str, SmsError] = field(default_factory=dict)
    noun: ClassVar[str] = "number"
    """What the keys name, for messages about the result."""

    def update(self, other: SendResult) -> None:
        self.message_ids.update(other.message_ids)
        self.errors.update(other.errors)

    def answered(self) -> set[str]:
        return set(self.message_ids) | set(self.errors)

    def describe_errors(self) -> str:
        return "; ".join(f"{number}: {error}" for number, error in self.errors.items())
