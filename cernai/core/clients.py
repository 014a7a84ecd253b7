"""The client's address, as a proxy in front of us saw it.

``TRUSTED_PROXIES`` (settings, from the environment: comma-separated addresses or networks, e.g.
``10.0.0.5,10.1.0.0/16``) names the reverse proxies that terminate TLS in front of the portal. Only a
request whose ``REMOTE_ADDR`` is one of them has its ``X-Forwarded-For`` believed, read from the
right: the first address that is not a trusted proxy is the client. Anyone else's header is ignored,
so a client cannot pick the address its failed logins are counted against.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks() -> list[Network]:
    networks = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {entry!r} is not an address or network ({exc})") from exc
    return networks


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_address(request: Any) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_networks()

    def trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in networks)

    if not trusted(_parse(remote)):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return remote  # a trusted proxy would not have written this: believe only the socket
        if not trusted(address):
            return str(address)
    return remote
