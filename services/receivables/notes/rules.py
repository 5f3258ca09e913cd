"""Hashtags in a note (seed 004: "uno o varios hashtags categorizando la nota"): a pure function."""

import re

# A hashtag starts a word: "#olvido", "#sin-fondos", "#vacaciones_gerente"; accents are letters.
# Purely numeric tags ("depósito #23763172736") are references, not categories.
_HASHTAG = re.compile(r"(?<![\w#&])#(\w[\w-]{0,58}\w|\w)", re.UNICODE)
MAX_HASHTAGS = 30


def parse_hashtags(text: str | None) -> list[str]:
    """Lower-cased hashtags of ``text``, without the ``#``, each once, in order of first appearance."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for match in _HASHTAG.finditer(text):
        tag = match.group(1).lower().strip("-")
        if tag and not tag.isdigit():
            seen.setdefault(tag, None)
    return list(seen)[:MAX_HASHTAGS]
