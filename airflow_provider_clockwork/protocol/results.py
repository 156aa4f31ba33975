"""What Clockwork said about each number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class SmsError:
    """One of Clockwork's numbered errors, for one number or for a whole request."""

    code: int
    description: str

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
