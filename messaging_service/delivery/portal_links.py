"""The link to the customer's own page (issue 17) a message carries as ``{{ portal_link }}``.

Each message gets its own token, minted when it is rendered; the token lives only in the message. The portal is
told its hash (``PortalLinksIssued``, one event per accepted batch, in the acceptance's transaction), and only for
the messages that really print the link: a tenant's own template without ``{{ portal_link }}`` issues none.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from messaging_service.delivery.rendering import Rendered
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind, PortalLink
from shared.portal_links import new_token, portal_link, token_hash

# Internal mail (alarm digests to the collections team) is about many customers: no customer's page.
NO_LINK_KINDS = frozenset({CommunicationKind.ALARM_DIGEST})


@dataclass(frozen=True, slots=True)
class MintedLink:
    token: str
    url: str


def mint(portal_enabled: bool, communication: Communication, base_url: str) -> MintedLink | None:
    """A fresh link when the tenant's portal is on and the message is to a customer about their account."""
    if not portal_enabled or communication.customer is None or communication.kind in NO_LINK_KINDS:
        return None
    token = new_token()
    return MintedLink(token, portal_link(base_url, token))


def carried(rendered: Rendered, link: MintedLink) -> bool:
    """Whether the rendered message prints the link (its text, its HTML or a WhatsApp parameter)."""
    parameters = (rendered.whatsapp or {}).get("parameters") or ()
    return any(link.token in part for part in (rendered.body_text, rendered.body_html or "", *map(str, parameters)))


def issued(
    link: MintedLink,
    customer_id: uuid.UUID,
    message_id: uuid.UUID,
    channel: Channel,
    language: str,
    at: datetime,
) -> PortalLink:
    """What the portal keeps of a link: its hash, never the token."""
    return PortalLink(
        token_hash=token_hash(link.token).hex(),
        customer_id=customer_id,
        message_id=message_id,
        channel=channel,
        language=language,
        issued_at=at,
    )
