"""Short host names, IP addresses and address prefixes as istiod reads them (§4.3.4).

IP literals follow Go's ``netip`` rules through :func:`sidecar_model.hosts.is_ip_address`,
the package's one IP parser.
"""

from __future__ import annotations

from sidecar_model.hosts import is_ip_address

#: The longest prefix of an IPv4 and of an IPv6 address.
_IPV4_BITS = 32
_IPV6_BITS = 128


def resolve_short_name(name: str, namespace: str, domain: str) -> str:
    """Expand a short host as istiod does (§4.3.4): ``reviews`` → ``reviews.<ns>.svc.<domain>``.

    Names containing a dot, ``*`` and IP addresses are returned unchanged.
    """
    if "." in name or name == "*" or not name or is_ip_address(name):
        return name
    return f"{name}.{namespace}.svc.{domain}"


def _ip_version(text: str) -> int | None:
    """4 or 6 for an IP address, None for anything else."""
    if not is_ip_address(text):
        return None
    return 6 if ":" in text else 4


def _is_cidr(text: str) -> bool:
    """An address, or an address and a prefix length (Go's ``netip.ParsePrefix``, no zone)."""
    address, slash, bits = text.partition("/")
    if "%" in address or not is_ip_address(address):
        return False
    if not slash:
        return True
    if not bits.isascii() or not bits.isdigit() or (len(bits) > 1 and bits[0] == "0"):
        return False
    return int(bits) <= (_IPV6_BITS if ":" in address else _IPV4_BITS)
