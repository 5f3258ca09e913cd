import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api_gateway import examples


class TokenRequest(BaseModel):
    """The OAuth2 token request (RFC 6749 §4.3 and §6), form-encoded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "password",
                    "tenant": "distribuidora-andina",
                    "username": "lucia.fernandez@andina.com.ar",
                    "password": "correct-horse-battery",
                },
                {"grant_type": "refresh_token", "refresh_token": "rt_3k9Qz7vXbW2mL8pN4sT1yU6"},
            ]
        }
    )

    grant_type: Literal["password", "refresh_token"] = Field(
        "password", description="`password` (the default) or `refresh_token`"
    )
    username: str | None = Field(None, description="The user's email (password grant)")
    password: str | None = Field(None, description="The user's password (password grant)")
    tenant: str | None = Field(None, description="The tenant's slug (password grant)")
    client_id: str | None = Field(None, description="Alias of `tenant` for OAuth2 clients")
    refresh_token: str | None = Field(None, description="The refresh token to trade (refresh grant)")


class RevokeRequest(BaseModel):
    """The OAuth2 revocation request (RFC 7009), form-encoded."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "rt_3k9Qz7vXbW2mL8pN4sT1yU6", "token_type_hint": "refresh_token"}]}
    )

    token: str = Field(description="The refresh token to revoke")
    token_type_hint: str | None = Field(None, description="`refresh_token` (others are ignored)")


class TokenOut(BaseModel):
    """The OAuth2 token response (RFC 6749 §5.1)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TOKEN_OUT]})

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid")
    refresh_token: str = Field(
        description="Trade it for a new access token (`grant_type=refresh_token`): it is spent then, and the answer "
        "carries the next one. Using a spent one again revokes every token of this login."
    )
    refresh_expires_in: int = Field(description="Seconds the refresh token is valid if not used")


class MeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ME_OUT]})

    tenant_id: uuid.UUID
    actor: str
    roles: list[str]
