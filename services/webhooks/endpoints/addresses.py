"""Name resolution at the edge, for ``endpoints.rules``: at registration (``endpoints.service``) and again before
every delivery (``deliveries.sender``: DNS rebinding). An endpoint's URL is the endpoints' concern; deliveries only
ask it again."""

import asyncio
import ipaddress
import socket

from services.webhooks.endpoints.rules import addresses_problem, host_and_port, url_problem

# A name that does not resolve this soon is treated as one that does not resolve.
RESOLVE_TIMEOUT_SECONDS = 3.0


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now (a literal address is itself); none when it does not resolve."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError, TimeoutError):  # gaierror is an OSError
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def url_refusal(url: str, *, development: bool, allow_private: bool) -> tuple[str | None, list[str]]:
    """Why ``url`` may not be called now (or None), and the addresses its host resolved to."""
    problem = url_problem(url, development=development)
    if problem is not None:
        return problem, []
    addresses = await resolve(*host_and_port(url))
    return addresses_problem(addresses, allow_private=allow_private), addresses
