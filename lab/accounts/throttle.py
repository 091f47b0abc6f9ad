"""The address django-axes counts failed logins against (AXES_CLIENT_IP_CALLABLE): the same one
the run quotas use, so a lab behind a reverse proxy (ARCHLAB_PROXY_COUNT) counts each client,
not the proxy. An IPv6 client is counted by its /64, as the quotas count it: the low 64 bits are
its own to change, so counting the full address let it try again and again from "new" ones."""
from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from lab.runs.quotas import client_address as _client_address


def client_address(request: HttpRequest) -> str:
    address = _client_address(request.META)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        # The /64's first address: still an IP address, which axes stores in an address column.
        return str(ipaddress.IPv6Address(int(ip) >> 64 << 64))
    return address
