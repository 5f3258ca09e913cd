"""The password grant: the throttle of failed logins around the password check, and its alarm."""

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.settings import GatewaySettings
from api_gateway.tokens import service
from api_gateway.tokens.alarm import login_failed
from api_gateway.tokens.schemas import TokenOut, TokenRequest
from api_gateway.tokens.throttle import LoginSubject, LoginThrottle, client_address
from shared.problems import Unauthorized, ValidationProblem


async def password_grant(request: Request, session: AsyncSession, form: TokenRequest) -> TokenOut:
    """Check the password of ``form`` (throttled per account and per address) and start a login."""
    if not form.username:
        raise ValidationProblem.field("username", "is required for grant_type=password")
    if not form.password:
        raise ValidationProblem.field("password", "is required for grant_type=password")
    slug = form.tenant or form.client_id
    if not slug:
        raise Unauthorized("Say which tenant you log in to (`tenant`)")
    settings: GatewaySettings = request.app.state.settings
    throttle = LoginThrottle(request.app.state.redis, settings)
    address = client_address(request, settings.trust_forwarded_for)
    subject = LoginSubject.of(slug, form.username, address)
    attempts = await throttle.attempt(subject)
    try:
        user = await service.authenticate_user(session, slug, form.username, form.password)
    except Unauthorized:
        sessionmaker = request.app.state.sessionmaker
        await login_failed(sessionmaker, throttle, subject, slug, form.username, address, attempts)
        raise
    await throttle.succeeded(subject)
    refresh_token = await service.issue(session, user, settings.refresh_token_ttl_seconds)
    return service.token_answer(settings, user, refresh_token)
