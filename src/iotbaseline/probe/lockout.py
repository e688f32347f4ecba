"""Brute-force resistance: N wrong logins at a bounded pace, then the known-correct login.

Protection is any of: the device blocks or rate-limits (HTTP 429/423/503, "too many
attempts", refused connections), answers ever more slowly, or refuses the correct login
right after the wrong ones (a lock)."""

from __future__ import annotations

import secrets
import statistics
from dataclasses import dataclass, field
from typing import Any

from iotbaseline.probe.login import Attempt, LoginSurface

DELAY_FACTOR = 3.0  # late answers this many times slower than early ones count as a delay
DELAY_FLOOR = 1.0  # …and at least this slow (seconds)


@dataclass
class LockoutResult:
    surface: str
    attempts: list[Attempt] = field(default_factory=list)
    blocked_after: int | None = None  # 1-based attempt that was blocked first
    delayed: bool = False
    correct_accepted: bool | None = None
    correct_detail: str = ""
    correct_before: bool = True  # the working login was accepted before the test


    @property
    def protected(self) -> bool:
        return self.correct_before and self.blocked_after is not None or self.delayed or self.correct_accepted is False

    def as_dict(self) -> dict[str, Any]:
        return {"surface": self.surface, "wrong_attempts": len(self.attempts),
                "seconds": [round(a.seconds, 3) for a in self.attempts],
                "details": [a.detail for a in self.attempts][:20],
                "blocked_after": self.blocked_after, "delayed": self.delayed,
                "correct_login_accepted_after": self.correct_accepted,
                "correct_detail": self.correct_detail, "protected": self.protected,
                "correct_login_accepted_before": self.correct_before}


def measure_lockout(surface: LoginSurface, correct: tuple[str, str], attempts: int
                    ) -> LockoutResult:
    result = LockoutResult(surface=surface.label)
    first = surface.attempt(*correct)
    if not first.accepted:  # the login given does not work here: nothing to compare with
        result.correct_before = False
        result.correct_detail = first.detail
        return result
    user = correct[0]
    for number in range(1, attempts + 1):
        attempt = surface.attempt(user, f"wrong-{secrets.token_hex(6)}")
        result.attempts.append(attempt)
        if attempt.accepted:  # a random password accepted: the surface does not check
            break
        if attempt.blocked and result.blocked_after is None:
            result.blocked_after = number
            break
    times = [a.seconds for a in result.attempts]
    if len(times) >= 5:
        early = statistics.median(times[:2])
        late = statistics.median(times[-3:])
        result.delayed = late >= DELAY_FLOOR and late >= DELAY_FACTOR * max(early, 0.01)
    final = surface.attempt(*correct)
    result.correct_accepted = final.accepted
    result.correct_detail = final.detail
    return result
