"""Failed logins, counted per account (tenant + username) and per client address, with exponential back-off.

After ``free`` failures an account (or an address, with a higher ``free``) waits ``backoff_seconds`` before its
next attempt; every attempt during the wait is a 429 with ``Retry-After``, the right password included, and is not
checked. The wait is capped and the counts expire after a quiet ``window``, so an attacker cannot lock a real user
out for long. When an account's failures in the window reach ``login_alarm_failures``, its tenant's admins are
alerted, once per window (``alarm``).

An attempt is counted before its password is checked (one Lua script: refuse if waiting, else count and start the
next wait), so a burst of parallel guesses cannot slip in before the first failure is recorded. A success takes
its attempt back: the account starts over, the address loses the one count. Without Redis, logins go on
unthrottled (and logged) rather than all refused.
"""

import hashlib
import math
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request

from api_gateway.settings import GatewaySettings
from api_gateway.tokens.rules import alarm_due, backoff_schedule_ms
from shared.problems import TooManyRequests

log = structlog.get_logger()


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The first hop of X-Forwarded-For when the gateway sits behind a proxy it trusts, else the peer."""
    if trust_forwarded_for:
        first = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"


# KEYS: account count, account wait, address count, address wait.
# ARGV: window seconds, account free, address free, n account waits (ms)..., address waits (ms)...
_ATTEMPT = """
local waiting = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[4]))
if waiting > 0 then return {waiting, 0} end
local window = tonumber(ARGV[1])
local n_account = tonumber(ARGV[4])
local function count(counter, wait, free, first, last)
  local n = redis.call('INCR', counter)
  redis.call('EXPIRE', counter, window)
  if n >= free then
    local i = math.min(first + n - free, last)
    redis.call('SET', wait, '1', 'PX', ARGV[i])
  end
  return n
end
local failures = count(KEYS[1], KEYS[2], tonumber(ARGV[2]), 5, 4 + n_account)
count(KEYS[3], KEYS[4], tonumber(ARGV[3]), 5 + n_account, #ARGV)
return {0, failures}
"""

# KEYS: account count, account wait, address count, address wait. ARGV: address free.
_SUCCEEDED = """
redis.call('DEL', KEYS[1], KEYS[2])
local n = redis.call('DECR', KEYS[3])
if n <= 0 then redis.call('DEL', KEYS[3]) end
if n < tonumber(ARGV[1]) then redis.call('DEL', KEYS[4]) end
return n
"""


@dataclass(frozen=True, slots=True)
class LoginSubject:
    account: str
    address: str

    @classmethod
    def of(cls, tenant: str, username: str, address: str) -> "LoginSubject":
        account = hashlib.sha256(f"{tenant.lower()}\0{username.lower()}".encode()).hexdigest()
        return cls(account, hashlib.sha256(address.encode()).hexdigest())

    def alarm_key(self) -> str:
        return f"login:account:{self.account}:alarmed"

    def keys(self) -> list[str]:
        return [
            f"login:account:{self.account}:n",
            f"login:account:{self.account}:wait",
            f"login:address:{self.address}:n",
            f"login:address:{self.address}:wait",
        ]


class LoginThrottle:
    def __init__(self, redis: Redis, settings: GatewaySettings) -> None:
        self.redis = redis
        self.settings = settings

    async def attempt(self, subject: LoginSubject) -> int:
        """Count one login attempt, or refuse it (429 with ``Retry-After``) while the account or address waits.
        Answers the account's attempts in the window, this one included (0 without Redis)."""
        s = self.settings
        account = backoff_schedule_ms(
            s.login_account_free_failures, s.login_backoff_base_seconds, s.login_backoff_max_seconds
        )
        address = backoff_schedule_ms(
            s.login_address_free_failures, s.login_backoff_base_seconds, s.login_backoff_max_seconds
        )
        numbers = [
            s.login_failure_window_seconds,
            s.login_account_free_failures,
            s.login_address_free_failures,
            len(account),
            *account,
            *address,
        ]
        try:
            # Lua reads every ARGV as a string: the numbers go as their text (what redis-py sends for an int).
            reply = self.redis.eval(_ATTEMPT, 4, *subject.keys(), *map(str, numbers))
            waiting, attempts = await cast(Awaitable[list[int]], reply)
        except RedisError as error:
            log.warning("login_throttle_unavailable", error=str(error))
            return 0
        if waiting:
            seconds = max(1, math.ceil(int(waiting) / 1000))
            raise TooManyRequests(
                f"Too many failed logins for this account or from this address; try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        return int(attempts)

    async def first_alarm(self, subject: LoginSubject, attempts: int) -> bool:
        """After a failure: whether it is the one that alarms the tenant's admins (the account reached the
        threshold, and no alarm went out for it in this window). Without Redis: no alarm."""
        if not alarm_due(attempts, self.settings.login_alarm_failures):
            return False
        try:
            marked = await self.redis.set(
                subject.alarm_key(), "1", nx=True, ex=self.settings.login_failure_window_seconds
            )
        except RedisError as error:
            log.warning("login_throttle_unavailable", error=str(error))
            return False
        return bool(marked)

    async def succeeded(self, subject: LoginSubject) -> None:
        """The password was right: the account starts over and the address takes back this attempt."""
        try:
            free = str(self.settings.login_address_free_failures)
            await cast(Awaitable[int], self.redis.eval(_SUCCEEDED, 4, *subject.keys(), free))
        except RedisError as error:
            log.warning("login_throttle_unavailable", error=str(error))
