"""``/v1/auth``: tokens for people (OAuth2 password and refresh grants), logout, and who am I."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status

from api_gateway.tokens import service
from api_gateway.tokens.auth import IdentityRead
from api_gateway.tokens.login import password_grant
from api_gateway.tokens.schemas import MeOut, RevokeRequest, TokenOut, TokenRequest
from shared.db import SessionDep
from shared.problems import ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/token", response_model=TokenOut, responses=problem_responses(401, 422, 429), openapi_extra={"security": []}
)
async def issue_token(request: Request, session: SessionDep, form: Annotated[TokenRequest, Form()]) -> TokenOut:
    """OAuth2 token endpoint: a short-lived access token and a refresh token for a person of a tenant.

    Password grant (`tenant`, `username`, `password`): failed logins are throttled per account and per address:
    after a few, the next attempts wait (429 with `Retry-After`, the right password included), twice as long after
    each further failure, up to 15 minutes; after many, the tenant's admins are alerted by email.

    Refresh grant (`refresh_token`): the token is spent and the answer carries the next one. Using a spent token
    again revokes every token of that login (401); so does the user's password change or deactivation."""
    settings = request.app.state.settings
    if form.grant_type == "refresh_token":
        if not form.refresh_token:
            raise ValidationProblem.field("refresh_token", "is required for grant_type=refresh_token")
        user, next_token = await service.rotate(session, form.refresh_token, settings.refresh_token_ttl_seconds)
        return service.token_answer(settings, user, next_token)
    return await password_grant(request, session, form)


@router.post(
    "/revoke",
    response_class=Response,
    responses={200: {"description": "Revoked, or not a token this gateway knows"}, **problem_responses(422)},
    openapi_extra={"security": []},
)
async def revoke_token(session: SessionDep, form: Annotated[RevokeRequest, Form()]) -> Response:
    """Log out (RFC 7009): revoke the refresh token and every token of its login. Answers 200 for any token, known
    or not. Access tokens are not stored: they expire on their own within minutes."""
    await service.revoke(session, form.token)
    return Response(status_code=status.HTTP_200_OK)


@router.get("/me", response_model=MeOut, responses=problem_responses(401))
async def who_am_i(principal: IdentityRead) -> MeOut:
    """The identity the gateway forwards for this credential."""
    return MeOut(tenant_id=principal.tenant_id, actor=principal.actor, roles=sorted(principal.roles))
