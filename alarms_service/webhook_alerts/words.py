"""What the disabled-webhook alarm says to a tenant's admins, in Spanish, English and Portuguese (pure)."""

from datetime import datetime
from typing import Any

from shared.validation import LANGUAGES

_TEXTS: dict[str, dict[str, Any]] = {
    "es": {
        "title": "Webhook desactivado",
        "summary": "El endpoint {url} no recibió ningún evento desde el {since} y fue desactivado el {disabled}.",
        "lines": ("Endpoint: {url}", "Fallando desde: {since}", "Último error: {error}"),
        "action": "Revise el sistema que recibe los eventos y vuelva a activar el endpoint; luego pida el reenvío "
        "de los eventos del período (replay).",
        "none": "ninguno registrado",
    },
    "en": {
        "title": "Webhook disabled",
        "summary": "The endpoint {url} has received no event since {since} and was disabled on {disabled}.",
        "lines": ("Endpoint: {url}", "Failing since: {since}", "Last error: {error}"),
        "action": "Check the system that receives the events and enable the endpoint again; then replay the "
        "events of the period.",
        "none": "none recorded",
    },
    "pt": {
        "title": "Webhook desativado",
        "summary": "O endpoint {url} não recebeu nenhum evento desde {since} e foi desativado em {disabled}.",
        "lines": ("Endpoint: {url}", "Falhando desde: {since}", "Último erro: {error}"),
        "action": "Verifique o sistema que recebe os eventos e ative o endpoint novamente; depois peça o reenvio "
        "dos eventos do período (replay).",
        "none": "nenhum registrado",
    },
}


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def disabled_data(
    language: str | None, url: str, failing_since: datetime, disabled_at: datetime, last_error: str | None
) -> dict[str, Any]:
    """The ``data`` of the alarm email (what messaging's ``alarm_digest`` templates print)."""
    texts = _TEXTS[language if language in LANGUAGES else "es"]
    values = {
        "url": url,
        "since": _moment(failing_since),
        "disabled": _moment(disabled_at),
        "error": (last_error or texts["none"])[:300],
    }
    return {
        "title": texts["title"],
        "summary": texts["summary"].format(**values),
        "lines": [line.format(**values) for line in texts["lines"]],
        "action": texts["action"],
    }
