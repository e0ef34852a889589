"""Flood and abuse control: how many events one person may make the bot process and answer.

Built on the ``limits`` library: a moving window per person (users and desk members have their
own rates), in memory for one process or in Redis (``redis://...``) when several workers share
the load. A message over the limit is still stored and still reaches its ticket's history; it
is only not answered, and the person gets one polite notice per ``notice_every``.
"""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

# Where a ticket keeps the user's messages held back until their next relayed one, and how many.
HELD_FOR_DESK = "held_for_desk"
HELD_KEEP = 30


class FloodConfigError(ValueError):
    """A rate or storage setting that cannot be understood."""


def parse_rates(text: str) -> list[RateLimitItem]:
    """``"5/10 seconds"`` or several joined with ``;`` (``"8/10 seconds;40/minute"``)."""
    try:
        return list(parse_many(text))
    except ValueError as error:
        raise FloodConfigError(f"cannot read the rate {text!r}; e.g. 5/10 seconds or 30/minute") from error


@dataclass(frozen=True)
class FloodVerdict:
    """Whether an event may be processed, and whether to tell the sender they are going too fast."""

    allowed: bool
    notify: bool = False


class FloodGuard:
    """Rate limits per person, checked by the engine for every event."""

    def __init__(
        self,
        user_rates: str = "8/10 seconds;40/minute",
        desk_rates: str = "20/10 seconds;120/minute",
        storage_uri: str = "memory://",
        notice_every: str = "1/minute",
    ):
        self.user_rates = parse_rates(user_rates)
        self.desk_rates = parse_rates(desk_rates)
        try:
            self.notice_rate = parse(notice_every)
        except ValueError as error:
            raise FloodConfigError(f"cannot read the notice rate {notice_every!r}") from error
        try:
            storage = storage_from_string(storage_uri)
        except Exception as error:  # unknown scheme, or the Redis client is not installed
            raise FloodConfigError(
                f"cannot use rate-limit storage {storage_uri!r}: {error} (memory:// or redis://host:6379)"
            ) from error
        self._limiter = MovingWindowRateLimiter(storage)

    def check(self, person_key: str, *, desk: bool) -> FloodVerdict:
        """Count one event of ``person_key``; over any rate it is not allowed (and the first time in
        a while, ``notify`` says to tell them)."""
        rates = self.desk_rates if desk else self.user_rates
        side = "desk" if desk else "user"
        allowed = True
        for rate in rates:
            # Every rate counts the event, so a burst uses up the longer window too.
            if not self._limiter.hit(rate, side, person_key):
                allowed = False
        if allowed:
            return FloodVerdict(True)
        return FloodVerdict(False, notify=self._limiter.hit(self.notice_rate, "notice", side, person_key))
