"""Late bounces: per-message return paths (VERP), reply addresses, and delivery status notifications (RFC 3464).

Pure functions, no I/O. Every email goes out with the envelope sender ``bounces+<message id>@<bounce domain>``, so
a bounce names its message by the address it is sent to, even when the report inside is mangled; the original
``Message-ID`` in the returned headers is the second way to find it.

Parsed with the stdlib ``email`` package rather than flufl.bounce: flufl.bounce answers which addresses failed
(its heuristics are for mailing lists), while we need the status code, the action and the diagnostic of one
message we already know, which RFC 3464 gives directly and the stdlib parser reads as header blocks.
"""

import re
import uuid
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.policy import compat32
from enum import StrEnum

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
        (message.get_param("report-type") or "").lower() == "delivery-status"
    )


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
            payload = part.get_payload(decode=True) or b""
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
        payload = part.get_payload(decode=True) or b""
        match = _STATUS.search(payload.decode("utf-8", "replace"))
        if match is None:
            continue
        status = ".".join(match.groups())
        if status.startswith("2."):
            continue
        kind = BounceKind.HARD if status.startswith("5.") else BounceKind.SOFT
        return Bounce(kind, status, None, None, _returned_message_id(message))
    return None
