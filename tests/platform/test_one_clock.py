"""One clock in the code (issue 15): no module decides something for a tenant by the wall clock.

A tenant's "now" and "today" come from its clock (``shared.clock``: ``TenantClock``, ``tenant_now``,
``tenant_today``; each service's tenant object has a ``clock``). This test reads every module of the services and
of ``shared`` and finds each direct read of the wall clock:

- ``datetime.now()``, ``datetime.utcnow()``, ``datetime.today()``, ``date.today()``;
- ``wall_now()`` (the sanctioned one) and alarms' ``utc_now()``;
- ``local_today(zone)`` / ``local_now(zone)`` of ``shared.calendar`` without an instant (they fall back to the
  wall clock);
- in SQL, ``current_date``, ``current_timestamp``, ``localtimestamp``, or a date made of ``now()``
  (``now() AT TIME ZONE ...``, ``now()::date``): a tenant's date in SQL comes as a parameter (``:today``).
  A bare ``now()`` stays allowed: it writes ``created_at`` and checks leases.

Each read must be in a function of ``WALL_CLOCK`` (legitimate: what ``shared.clock``'s docstring lists, with the
reason) or of ``NOT_YET_ON_THE_TENANT_CLOCK`` (tenant decisions the other parts of issue 15 move to the tenant's
clock in their branches: the lead empties that list when merging them). A new wall-clock read anywhere else fails
here: read the tenant's clock, or add the function to ``WALL_CLOCK`` with a reason that ``shared.clock`` accepts.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api_gateway", "services", "dunning_service", "messaging_service", "alarms_service", "shared")

WALL_METHODS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
WALL_FUNCTIONS = {"wall_now", "utc_now"}
ZONE_FIRST = {"local_today", "local_now"}  # (timezone, now=None): without ``now`` they read the wall clock
SQL_WALL_DATE = re.compile(
    r"\bcurrent_date\b|\bcurrent_timestamp\b|\blocaltimestamp\b|now\(\)\s*(::\s*date|at\s+time\s+zone)", re.IGNORECASE
)

# Legitimate wall-clock reads, by "path::function": why each is not a decision about the tenant's collections.
WALL_CLOCK: dict[str, str] = {
    # shared: the clock itself and the helpers over it
    "shared/clock.py::wall_now": "the one wall clock, for what its docstring lists",
    "shared/clock.py::tenant_now": "a tenant without a test clock lives on the wall clock",
    "shared/calendar.py::local_now": "the calendar's default instant; callers pass the tenant's (checked here)",
    "shared/messages.py::Envelope": "when a message was written: a fact of the system, not of the calendar played",
    # gateway: people's sessions and keys, provider callbacks' arrival
    "api_gateway/tokens/service.py::issue": "refresh tokens' expiry: people's sessions stay real",
    "api_gateway/tokens/service.py::rotate": "refresh tokens' expiry: people's sessions stay real",
    "api_gateway/api_keys/service.py::revoke_api_key": "when a key was revoked: a fact of the system",
    "api_gateway/proxy/intake.py::store": "when a provider's callback arrived: a fact of the system",
    "api_gateway/test_clock/advance.py::advance": "when an advance began and ended: a fact of the system",
    # webhooks: deliveries, retries and the signed timestamp stay real (receivers check it against their clock)
    "services/webhooks/deliveries/service.py::send_ping": "the webhook-timestamp header: receivers check it",
    "services/webhooks/deliveries/sender.py::send": "the webhook-timestamp header: receivers check it",
    "services/webhooks/deliveries/sender.py::record": "retries and backoff of deliveries",
    "services/webhooks/endpoints/service.py::create_endpoint": "when an endpoint was disabled: a fact",
    "services/webhooks/endpoints/service.py::update_endpoint": "when an endpoint was disabled: a fact",
    "services/webhooks/endpoints/service.py::rotate_secret": "the old secret's overlap: a real-time grace",
    # portal: a debtor's link lives in real days (it is opened by a person, now), and the provider signs in real time
    "services/portal/links/router.py::list_links": "a link's state: links expire in real days",
    "services/portal/links/router.py::revoke_link": "when a link was revoked: a fact of the system",
    "services/portal/links/router.py::revoke_customer_links": "when links were revoked: a fact of the system",
    "services/portal/links/router.py::revoke_every_link": "when links were revoked: a fact of the system",
    "services/portal/links/service.py::create_link": "when a link was made: links expire in real days",
    "services/portal/tenant_settings/service.py::revoke_every_link": "when links were revoked: a fact",
    "services/portal/visits/service.py::open_visit": "whether a link is still open: links expire in real days",
    "services/portal/actions/asks.py::request_call": "a call is asked for a real moment: a person will phone",
    "services/portal/receipts/storage.py::_signed": "the S3 request's signed time: the bucket checks it",
    "services/portal/checkout/router.py::psp_notification": "the provider's signature age: it signs in real time",
    "services/portal/checkout/service.py::_record_payment": "the provider's approval is real time; a payment "
    "without its date is dated when it reached us",
    # receivables: when a row was written
    "services/receivables/outcomes/service.py::record_outcome": "recorded_at: when the outcome was written",
    "services/receivables/promises/repository.py::detect_broken": "the hourly job's instant for live tenants; a "
    "sandbox tenant's test clock overrides it in the SQL (coalesce(:at, t.test_clock, :now))",
    "services/receivables/plans/lifecycle.py::break_due": "the hourly job's instant for live tenants; a sandbox "
    "tenant's test clock overrides it in the SQL (plans/repository.py: coalesce(:at, t.test_clock, :now))",
    "services/receivables/worker.py::refresh_warning_signs": "the hourly job's instant for live tenants; a sandbox "
    "tenant's test clock overrides it in the SQL (signs/service.py: coalesce(:at, t.test_clock, :now))",
    # dunning: run bookkeeping and leases
    "dunning_service/projection/resync.py::resync_tenant": "when a resync finished: a fact of the system",
    "dunning_service/runs/dry_runs.py::execute_dry_run": "when a run finished: a fact of the system",
    "dunning_service/runs/service.py::_plan": "when a run finished: a fact of the system",
    "dunning_service/runs/service.py::_complete": "when a run finished: a fact of the system",
    "dunning_service/runs/lifecycle.py::fail_run": "when a run finished: a fact of the system",
    "dunning_service/runs/jobs.py::sweep_runs": "a lost run's lease",
    "dunning_service/runs/context.py::pending_cutoff": "a communication's patience: a real-time timeout",
    "dunning_service/runs/jobs.py::schedule_runs": "the instant of the tenants without a test clock (the SQL "
    "takes each test clock's)",
    # messaging: sending, its leases and timings, provider reports, real mail headers; the stand-in peers
    "messaging_service/delivery/dispatch.py::dispatch": "when a send finished: a fact of the system",
    "messaging_service/delivery/dispatch.py::_timed": "how long a send took",
    "messaging_service/delivery/events.py::status_changed": "when a delivery event was written",
    "messaging_service/channels/email.py::build_email": "the Date header: mail servers check it",
    "messaging_service/inbound/apply.py::_apply_status": "patience for an unknown message: a real-time timeout",
    "messaging_service/stubs/smtp_server.py::delivery_status_notification": "a stand-in peer, not a service",
    "messaging_service/stubs/smtp_server.py::handle_DATA": "a stand-in peer, not a service",
    "services/portal/stubs/psp_wire.py::now": "a stand-in peer (the PSP), not a service",
    # alarms: its wall clock (callers checked) and digest bookkeeping
    "alarms_service/digests/service.py::execute_run": "when a digest run finished: a fact of the system",
    "alarms_service/digests/jobs.py::sweep_runs": "a lost digest run's lease",
    "alarms_service/digests/jobs.py::schedule_runs": "the instant of the tenants without a test clock (each "
    "test clock's is read)",
    "alarms_service/tenant_settings/service.py::settings_out": "how far back taken slots are read (a bound)",
    "alarms_service/digests/jobs.py::run_alarms": "when a digest run failed: a fact of the system",
}

# Tenant decisions still on the wall clock, each with the work that will move it to the tenant's clock: none now
# (issue 15 moved every one); a change that cannot move one at once lists it here, with its reason.
NOT_YET_ON_THE_TENANT_CLOCK: dict[str, str] = {}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def reads_wall_clock(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(SQL_WALL_DATE.search(node.value))
    if isinstance(node, ast.Attribute) and node.attr == "current_date" and _name(node.value) == "func":
        return True
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and (_name(func.value), func.attr) in WALL_METHODS:
        return True
    called = _name(func)
    if called in WALL_FUNCTIONS:
        return True
    if called in ZONE_FIRST:
        instant = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "now"), None)
        return instant is None or _is_none(instant)
    return False


class Finder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path, self.scope, self.found = path, ["<module>"], set[str]()

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def generic_visit(self, node: ast.AST) -> None:
        if reads_wall_clock(node):
            self.found.add(f"{self.path}::{self.scope[-1]}")
        super().generic_visit(node)


def wall_clock_reads() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            finder = Finder(path)
            finder.visit(ast.parse(file.read_text(encoding="utf-8"), path))
            found |= finder.found
    return found


def test_no_module_reads_the_wall_clock_for_a_tenant_decision():
    unexplained = sorted(wall_clock_reads() - WALL_CLOCK.keys() - NOT_YET_ON_THE_TENANT_CLOCK.keys())
    assert unexplained == [], (
        "These functions read the wall clock: use the tenant's clock (shared.clock, the tenant's `clock`), or, if "
        "it is not a decision about the tenant (leases, retries, tokens, when a row was written), add them to "
        f"WALL_CLOCK with the reason: {unexplained}"
    )


def test_every_allowed_wall_clock_read_is_still_there():
    """An entry of ``WALL_CLOCK`` whose function no longer reads the wall clock is removed (the list stays true)."""
    assert sorted(WALL_CLOCK.keys() - wall_clock_reads()) == []


def test_the_finder_sees_each_kind_of_read():
    source = """
def a(): return datetime.now(UTC)
def b(): return date.today()
def c(): return local_today(zone)
def d(): return local_now(zone, None)
def e(): return "SELECT * FROM x WHERE d < (now() AT TIME ZONE t.timezone)::date"
def f(): return "SELECT current_date"
def g(): return wall_now()
def h(): return datetime.datetime.utcnow()
def fine(): return local_today(zone, tenant.clock.now()), tenant.clock.today(), "UPDATE x SET at = now()"
"""
    finder = Finder("x.py")
    finder.visit(ast.parse(source))
    assert finder.found == {f"x.py::{name}" for name in "abcdefgh"}
