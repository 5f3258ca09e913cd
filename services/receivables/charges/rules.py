"""Late charges' pure decisions (issue 19, point 2): which changes a charge may take. A charge is a document of its
own: never added into an invoice's amount; its totals per currency are ``shared.statement.charge_totals``."""

from shared.contracts.common import ChargeStatus


def may_close(status: ChargeStatus) -> bool:
    """Only an open charge may be waived or invoiced: a waived charge is no longer owed and an invoiced one is the
    ERP's own document now; either change is final."""
    return status is ChargeStatus.OPEN


def refusal(status: ChargeStatus, target: ChargeStatus) -> str:
    """The 409's words when a charge that is ``status`` cannot become ``target``."""
    verb = "waived" if target is ChargeStatus.WAIVED else "invoiced"
    return f"The charge is {status.value}: only an open charge can be {verb}"
