"""Which URLs an endpoint may have (pure: the addresses a host resolves to are given).

``https`` is required outside development; no userinfo (a password in a URL ends up in logs). An address that is
not public (loopback, private, link-local, shared, multicast, reserved, unspecified; IPv4 and IPv6, IPv4 inside
IPv6 too) is refused unless the tenant is allowed private URLs: otherwise a tenant could make the worker call the
internal network (SSRF). The host is resolved at registration and again before each delivery (DNS rebinding).

Only the platform operator allows a tenant private URLs (``PUT /v1/tenants/{id}/webhook-settings`` on the gateway,
with the operator token): it opens the operator's network to that tenant, so a tenant admin cannot decide it.
"""

import ipaddress
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2000


def address_is_private(address: str) -> bool:
    """Whether ``address`` (an IPv4 or IPv6 literal) is anything but a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone index ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 address a.b.c.d
            return address_is_private(str(ip.ipv4_mapped))
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and address_is_private(str(embedded)):
            return True
    return (
        not ip.is_global
        or ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def url_problem(url: str, *, development: bool) -> str | None:
    """What is wrong with ``url`` on its own (scheme, userinfo, host), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http"):
        return "must be an https URL"
    if parts.scheme == "http" and not development:
        return "must use https"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if not parts.hostname:
        return "has no host"
    if parts.fragment:
        return "must not have a fragment"
    return None


def host_and_port(url: str) -> tuple[str, int]:
    parts: SplitResult = urlsplit(url)
    assert parts.hostname is not None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def addresses_problem(addresses: list[str], *, allow_private: bool) -> str | None:
    """Why the host's ``addresses`` may not be called, or None: it must resolve, and to public addresses only
    unless the tenant is allowed private ones (every address counts: a client may use any of them)."""
    if not addresses:
        return "does not resolve to any address"
    if not allow_private:
        refused = [a for a in addresses if address_is_private(a)]
        if refused:
            return f"resolves to a private or reserved address ({refused[0]}); not allowed for this tenant"
    return None
