"""The pages' jinja2 environment and the one way to answer a page: the customer's words, the form token, the
nonce cookie, and the headers every portal page carries (``security_headers``)."""

from collections import ChainMap
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.portal.actions.texts import TEXTS as ACTION_TEXTS
from services.portal.checkout.texts import TEXTS as PAY_TEXTS
from services.portal.pages.texts import TEXTS
from services.portal.visits.rules import LANGUAGES, form_token
from services.portal.visits.service import NONCE_COOKIE, Visit, forms_secret
from shared.words import words

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Every table of words the pages use (the frame's, then each action's): one ChainMap per language.
TEXT_TABLES: tuple[dict[str, dict[str, str]], ...] = (TEXTS, PAY_TEXTS, ACTION_TEXTS)

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def texts(language: str) -> ChainMap[str, str]:
    return ChainMap(*(table[language] for table in TEXT_TABLES))


def page(
    request: Request,
    template: str,
    language: str,
    *,
    visit: Visit | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in ``language`` (es when unknown). With a visit: its base path, its form token, and the
    nonce cookie set when the browser had none."""
    language = language if language in LANGUAGES else "es"
    values: dict[str, Any] = {"t": texts(language), "lang": language, "w": words(language), "visit": visit, **context}
    if visit is not None:
        values["base"] = visit.base
        values["csrf"] = form_token(forms_secret(request.app.state.settings), visit.link_id, visit.nonce)
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if visit is not None and visit.new_nonce:
        secure = request.headers.get("x-forwarded-proto", request.url.scheme) == "https"
        response.set_cookie(
            NONCE_COOKIE, visit.nonce, path="/portal/", httponly=True, samesite="lax", secure=secure, max_age=86400
        )
    return response
