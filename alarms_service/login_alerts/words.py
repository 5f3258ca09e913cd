"""What the failed-login alarm says to a tenant's admins, in Spanish, English and Portuguese (pure)."""

from typing import Any

from shared.validation import LANGUAGES

_TEXTS: dict[str, dict[str, Any]] = {
    "es": {
        "title": "Inicios de sesión fallidos",
        "summary": "La cuenta {username} falló {failures} veces al iniciar sesión en {window}.",
        "lines": ("Cuenta: {username}", "Intentos fallidos: {failures}", "Última dirección: {address}"),
        "action": "Si no fue esa persona, revise la cuenta y cambie su contraseña. Cada nuevo intento fallido "
        "espera más que el anterior.",
        "minute": "el último minuto",
        "minutes": "los últimos {n} minutos",
        "hour": "la última hora",
        "hours": "las últimas {n} horas",
    },
    "en": {
        "title": "Failed logins",
        "summary": "The account {username} failed to log in {failures} times in {window}.",
        "lines": ("Account: {username}", "Failed attempts: {failures}", "Last address: {address}"),
        "action": "If it was not that person, review the account and change its password. Each further failed "
        "attempt waits longer than the one before.",
        "minute": "the last minute",
        "minutes": "the last {n} minutes",
        "hour": "the last hour",
        "hours": "the last {n} hours",
    },
    "pt": {
        "title": "Logins com falha",
        "summary": "A conta {username} falhou {failures} vezes ao entrar {window}.",  # em + o = no
        "lines": ("Conta: {username}", "Tentativas com falha: {failures}", "Último endereço: {address}"),
        "action": "Se não foi essa pessoa, revise a conta e troque a senha. Cada nova tentativa com falha espera "
        "mais que a anterior.",
        "minute": "no último minuto",
        "minutes": "nos últimos {n} minutos",
        "hour": "na última hora",
        "hours": "nas últimas {n} horas",
    },
}


def _counted(texts: dict[str, Any], unit: str, n: int) -> str:
    """ "the last hour", "the last 2 hours": one is singular in Spanish, English and Portuguese."""
    return str(texts[unit] if n == 1 else texts[f"{unit}s"].format(n=n))


def alert_data(language: str | None, username: str, failures: int, address: str, window_seconds: int) -> dict[str, Any]:
    """The ``data`` of the alarm email (what messaging's ``alarm_digest`` templates print)."""
    texts = _TEXTS[language if language in LANGUAGES else "es"]
    if window_seconds % 3600 == 0:
        window = _counted(texts, "hour", window_seconds // 3600)
    else:
        window = _counted(texts, "minute", max(1, round(window_seconds / 60)))
    values = {"username": username, "failures": failures, "address": address, "window": window}
    return {
        "title": texts["title"],
        "summary": texts["summary"].format(**values),
        "lines": [line.format(**values) for line in texts["lines"]],
        "action": texts["action"],
    }
