"""What a customer wrote in an email reply: automatic answers told apart, the text without the quoted history.

Pure functions, no I/O, over a parsed ``email.message.Message``.
"""

import html
import re
from email.header import Header, decode_header
from email.message import Message

# Subjects of out-of-office and other automatic answers that carry no Auto-Submitted header (es, en, pt).
AUTO_REPLY_SUBJECTS = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|autoresponder|out of (the )?office|respuesta autom[aá]tica|"
    r"fuera de (la )?oficina|ausente|ausencia|resposta autom[aá]tica|fora do escrit[oó]rio)",
    re.IGNORECASE,
)
# The line a mail client writes above the message it quotes: "On <date>, <name> wrote:" and its translations.
QUOTE_INTRO = re.compile(r"^\s*(on|el|em|le|am)\b.*\b(wrote|escribi[oó]|escreveu|a [eé]crit|schrieb)\s*:\s*$", re.I)
QUOTE_END = re.compile(r"\b(wrote|escribi[oó]|escreveu)\s*:\s*$", re.IGNORECASE)
QUOTE_START = re.compile(r"^\s*(on|el|em)\b", re.IGNORECASE)
ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|mensaje original|mensagem original)\s*-{2,}\s*$", re.IGNORECASE
)
SIGNATURE = "-- "


def header_text(value: object) -> str:
    """A header as readable text (RFC 2047 encoded words decoded, raw UTF-8 as RFC 6532 allows), unfolded."""
    if value is None:
        return ""
    pieces = []
    for chunk, charset in decode_header(value if isinstance(value, Header) else str(value)):
        if isinstance(chunk, bytes):
            try:
                chunk = chunk.decode(charset if charset and charset != "unknown-8bit" else "utf-8", "replace")
            except LookupError:
                chunk = chunk.decode("utf-8", "replace")
        pieces.append(chunk)
    return " ".join("".join(pieces).split())


def is_auto_reply(message: Message) -> bool:
    """An automatic answer (RFC 3834 ``Auto-Submitted``, the common vendor headers, an out-of-office subject):
    neither a bounce nor something the customer wrote."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    if not auto.startswith("no"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if (message.get("Precedence") or "").strip().lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(AUTO_REPLY_SUBJECTS.match(header_text(message.get("Subject"))))


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|blockquote)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def body_text(message: Message) -> str:
    """The first text/plain part that is not an attachment, else the first HTML part as plain text."""
    html_part = None
    for part in message.walk():
        if part.is_multipart() or part.get_filename() or part.get("Content-Disposition", "").startswith("attach"):
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            return _decoded(part)
        if kind == "text/html" and html_part is None:
            html_part = part
    return _html_to_text(_decoded(html_part)) if html_part is not None else ""


def cut_quoted_history(text: str) -> str:
    """What the customer wrote above the history their client quoted: stops at "On ... wrote:" (also "El ...
    escribió:", "Em ... escreveu:", over two lines as Gmail folds it), "-----Original Message-----" or the
    signature delimiter, and leaves out lines quoted with ">"."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for line in lines:
        if QUOTE_INTRO.match(line) or ORIGINAL_MESSAGE.match(line) or line == SIGNATURE:
            break
        if QUOTE_END.search(line) and kept and QUOTE_START.match(kept[-1]):
            kept.pop()  # "El lun, 7 dic 2026 a las 10:00, Cobranzas <\ncobranzas@x> escribió:"
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def reply_text(message: Message) -> str:
    return cut_quoted_history(body_text(message))
