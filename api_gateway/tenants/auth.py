"""Who may change the tenant (``tenant`` in ``shared.permissions.MATRIX``), and the platform operator, who creates
tenants and holds none of a tenant's roles (its token, ``X-Operator-Token``)."""

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from api_gateway.identity.principal import Principal, require
from api_gateway.settings import GatewaySettings
from shared.problems import Unauthorized, answers

TenantRead = Annotated[Principal, Depends(require("tenant", "read"))]
TenantWrite = Annotated[Principal, Depends(require("tenant", "write"))]
OperatorTokenHeader = Annotated[str | None, Header(description="The platform operator's token")]


def is_operator(settings: GatewaySettings, token: str | None) -> bool:
    """Whether ``token`` is the platform operator's (compared in constant time)."""
    return bool(token) and hmac.compare_digest(token or "", settings.operator_token)


@answers(401)
async def platform_operator(request: Request, x_operator_token: OperatorTokenHeader = None) -> None:
    """The platform operator, who holds no tenant's credentials and so none of a tenant's roles."""
    if not is_operator(request.app.state.settings, x_operator_token):
        raise Unauthorized("Creating tenants needs the operator token (X-Operator-Token)")


platform_operator.admitted_roles = frozenset()  # type: ignore[attr-defined]
platform_operator.access = "none of a tenant's: the platform operator's token (`X-Operator-Token`)"  # type: ignore[attr-defined]
OperatorOnly = Annotated[None, Depends(platform_operator)]
