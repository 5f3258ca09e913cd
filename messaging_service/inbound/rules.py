"""The inbound rules: which callbacks and emails are genuinely ours (provider signatures), what a late bounce says,
and what a customer wrote in an email reply. Pure functions, no I/O.

Every email goes out with the envelope sender ``bounces+<message id>@<bounce domain>``, so a bounce names its
message by the address it is sent to, even when the report inside is mangled; the original ``Message-ID`` in the
returned headers is the second way to find it.

Bounces are parsed with the stdlib ``email`` package rather than flufl.bounce: flufl.bounce answers which addresses
failed (its heuristics are for mailing lists), while we need the status code, the action and the diagnostic of one
message we already know, which RFC 3464 gives directly and the stdlib parser reads as header blocks.
"""

import base64
import hashlib
import hmac
import html
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import Header, decode_header
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.policy import compat32
from enum import StrEnum

# ---- signatures of provider callbacks and of our MTA's posts ------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """``X-Twilio-Signature``: base64(HMAC-SHA1(auth token, full URL + each POST parameter name and value,
    sorted by name)), as Twilio documents it."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio(auth_token: str, urls: Iterable[str], params: list[tuple[str, str]], signature: str | None) -> bool:
    """True when the signature matches one of the URLs the provider may have posted to."""
    if not signature or not auth_token:
        return False
    return any(hmac.compare_digest(twilio_signature(auth_token, url, params), signature) for url in urls)


def whatsapp_signature(app_secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256``: ``sha256=`` + hex HMAC-SHA256(app secret, raw body)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_whatsapp(app_secret: str, body: bytes, signature: str | None) -> bool:
    if not signature or not app_secret:
        return False
    return hmac.compare_digest(whatsapp_signature(app_secret, body), signature)


def inbound_email_signature(secret: bytes, raw: bytes) -> str:
    """``X-Cobranza-Signature`` of an email our MTA posts to the inbound webhook: ``sha256=`` + hex
    HMAC-SHA256(secret, raw message)."""
    return "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()


def verify_inbound_email_signature(secret: bytes, raw: bytes, signature: str | None) -> bool:
    if not signature or not secret:
        return False
    return hmac.compare_digest(inbound_email_signature(secret, raw), signature.strip())


# ---- late bounces -----------------------------------------------------------------------------------------------

VERP_PREFIX = "bounces"
REPLY_PREFIX = "reply"
# SMTP replies that say the recipient's address itself is bad (RFC 5321); with an enhanced status 5.1.x.
INVALID_RECIPIENT_CODES = frozenset({550, 551, 553})

_TAGGED = re.compile(r"(?P<prefix>[a-z]+)\+(?P<token>[0-9a-f]{32})")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"^\s*([245]\d\d)\b")
_OUR_MESSAGE_ID = re.compile(r"<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@[^>\s]+>", re.IGNORECASE)


# ---- addresses ----------------------------------------------------------------------------------------------------


def tagged_address(prefix: str, message_id: uuid.UUID, domain: str) -> str:
    """``<prefix>+<message id as 32 hex>@<domain>``: the id is random (uuid4), so the address cannot be guessed."""
    return f"{prefix}+{message_id.hex}@{domain.lower()}"


def verp_address(message_id: uuid.UUID, bounce_domain: str) -> str:
    """The envelope sender (MAIL FROM) of one message: where every bounce of it is sent."""
    return tagged_address(VERP_PREFIX, message_id, bounce_domain)


def reply_address(message_id: uuid.UUID, reply_domain: str) -> str:
    """The ``Reply-To`` of one message: a reply names the message it answers by the address it is sent to."""
    return tagged_address(REPLY_PREFIX, message_id, reply_domain)


def read_tagged_address(address: str, prefix: str, domain: str) -> uuid.UUID | None:
    """The message a ``<prefix>+<hex>@<domain>`` address names, or None when it is not one of ours."""
    local, _, at = address.strip().strip("<>").lower().rpartition("@")
    match = _TAGGED.fullmatch(local)
    if match is None or at != domain.lower() or match["prefix"] != prefix:
        return None
    return uuid.UUID(hex=match["token"])


def our_message_ids(*headers: str | None) -> list[uuid.UUID]:
    """Our message ids named in ``Message-ID``, ``In-Reply-To`` or ``References`` values (``<uuid@domain>``)."""
    found = [uuid.UUID(m) for value in headers if value for m in _OUR_MESSAGE_ID.findall(str(value))]
    return list(dict.fromkeys(found))


# ---- delivery status notifications --------------------------------------------------------------------------------


class BounceKind(StrEnum):
    HARD = "hard"  # Action: failed, Status 5.x.x: the address does not take mail; the message bounced
    GAVE_UP = "gave_up"  # Action: failed, Status 4.x.x: the remote MTA stopped retrying; the message failed
    SOFT = "soft"  # Action: delayed (or a 4.x.x still being retried): nothing changes yet


@dataclass(frozen=True, slots=True)
class Bounce:
    kind: BounceKind
    status: str | None  # the enhanced status code, e.g. "5.1.1"
    recipient: str | None  # Final-Recipient's address
    diagnostic: str | None  # Diagnostic-Code's text, e.g. "550 5.1.1 User unknown"
    original_message_id: str | None  # the Message-ID of the returned headers

    @property
    def error_code(self) -> str:
        return f"dsn_{self.status}" if self.status else "dsn_failed"

    @property
    def smtp_code(self) -> int | None:
        match = _SMTP_CODE.match(self.diagnostic or "")
        return int(match.group(1)) if match else None

    @property
    def invalidates_address(self) -> bool:
        """As at send time: a hard bounce whose reply or status says the address itself is bad."""
        return self.kind is BounceKind.HARD and invalid_recipient(self.smtp_code, self.status)


def invalid_recipient(smtp_code: int | None, status: str | None) -> bool:
    """True when a permanent refusal is about the address (550/551/553, or an enhanced status 5.1.x): the contact
    is invalidated, for a refusal during the SMTP session and for a bounce received later alike."""
    return smtp_code in INVALID_RECIPIENT_CODES or (status or "").startswith("5.1.")


def parse_message(raw: bytes) -> Message:
    """The stdlib parser with the classic policy: it reads a ``message/delivery-status`` part as header blocks."""
    return BytesParser(policy=compat32).parsebytes(raw)


def is_delivery_report(message: Message) -> bool:
    return message.get_content_type() == "multipart/report" and (
        _param_text(message.get_param("report-type")).lower() == "delivery-status"
    )


def _param_text(value: str | tuple[str | None, str | None, str] | None) -> str:
    """A header parameter as text (an RFC 2231 parameter comes as (charset, language, value))."""
    return value[2] if isinstance(value, tuple) else value or ""


def _payload_bytes(part: Message) -> bytes:
    """A leaf part's body, transfer-decoded (a multipart part has none)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _field(block: Message, name: str) -> str | None:
    """A DSN field without its type (``rfc822; a@b`` -> ``a@b``, ``smtp; 550 ...`` -> ``550 ...``), unfolded."""
    value = block.get(name)
    if value is None:
        return None
    text = " ".join(str(value).split())
    kind, sep, rest = text.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else text


def _status(value: str | None) -> str | None:
    match = _STATUS.search(value or "")
    return ".".join(match.groups()) if match else None


def _returned_message_id(message: Message) -> str | None:
    """The ``Message-ID`` of the returned message: its headers (text/rfc822-headers) or the whole of it."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            payload = _payload_bytes(part)
            headers = HeaderParser(policy=compat32).parsestr(payload.decode("utf-8", "replace"))
            if headers.get("Message-ID"):
                return " ".join(str(headers["Message-ID"]).split())
        if kind == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return " ".join(str(inner["Message-ID"]).split())
    return None


def _kind(action: str, status: str | None) -> BounceKind | None:
    if action == "failed":
        return BounceKind.GAVE_UP if (status or "").startswith("4.") else BounceKind.HARD
    if action == "delayed":
        return BounceKind.SOFT
    return None  # delivered, relayed, expanded: not a bounce


def read_delivery_report(message: Message) -> Bounce | None:
    """The bounce a DSN (RFC 3464) reports, or None when it reports no failure or delay.

    Our messages have one recipient each, so the first recipient block that failed or was delayed is the one.
    """
    original = _returned_message_id(message)
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:  # the first block is about the message, the others one recipient each
            if not isinstance(block, Message):
                continue
            action = (_field(block, "Action") or "").lower()
            status = _status(_field(block, "Status"))
            kind = _kind(action, status)
            if kind is not None:
                recipient, diagnostic = _field(block, "Final-Recipient"), _field(block, "Diagnostic-Code")
                return Bounce(kind, status, recipient, diagnostic, original)
    return None


def read_plain_bounce(message: Message) -> Bounce | None:
    """A bounce that is not an RFC 3464 report (older MTAs write prose) but came to a VERP address: the first
    enhanced status code in its text tells hard (5.x.x) from soft (4.x.x); none, and we cannot tell."""
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = _payload_bytes(part)
        match = _STATUS.search(payload.decode("utf-8", "replace"))
        if match is None:
            continue
        status = ".".join(match.groups())
        if status.startswith("2."):
            continue
        kind = BounceKind.HARD if status.startswith("5.") else BounceKind.SOFT
        return Bounce(kind, status, None, None, _returned_message_id(message))
    return None


# ---- email replies ---------------------------------------------------------------------------------------------

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
    payload = _payload_bytes(part)
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
