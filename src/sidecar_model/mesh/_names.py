"""Short host names and IP address literals as istiod reads them (§4.3.4)."""

from __future__ import annotations

import ipaddress


def resolve_short_name(name: str, namespace: str, domain: str) -> str:
    """Expand a short host as istiod does (§4.3.4): ``reviews`` → ``reviews.<ns>.svc.<domain>``.

    Names containing a dot, ``*`` and IP addresses are returned unchanged.
    """
    if "." in name or name == "*" or not name or is_ip(name):
        return name
    return f"{name}.{namespace}.svc.{domain}"


def _ip_version(text: str) -> int | None:
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def is_ip(text: str) -> bool:
    """True for a literal IPv4 or IPv6 address (no CIDR), as endpoint and host checks need."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
