"""Host and address tests shared by the target models of every provider."""

from __future__ import annotations

import ipaddress

METADATA_HOSTS = frozenset({
    "169.254.169.254",  # AWS, Google Cloud and Azure instance metadata
    "fd00:ec2::254",  # AWS instance metadata over IPv6
    "169.254.170.2",  # AWS ECS task metadata
    "168.63.129.16",  # Azure's wire server
    "metadata.google.internal",
})


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_metadata_address(host: str) -> bool:
    """Tell whether a host is a cloud metadata address, which art32 never contacts.

    Every link-local address counts, since metadata services live in that range.
    """
    name = host.strip("[]").lower()
    if name in METADATA_HOSTS:
        return True
    return is_ip(name) and ipaddress.ip_address(name).is_link_local
