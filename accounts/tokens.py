"""An API token's key: `isc_<lookup>_<secret>`.

`lookup` (8 hex digits) is stored as it is and shown in lists, so a token can be found and named without
its secret; the whole key is stored only as its SHA-256 (a 256-bit random secret needs no slow hash).
The key is shown once, when the token is made. Pure: no Django.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SCHEME = "isc_"
KEY = re.compile(r"^isc_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once
    lookup: str
    digest: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> NewKey:
    lookup = secrets.token_hex(4)
    key = f"{SCHEME}{lookup}_{secrets.token_urlsafe(32)}"
    return NewKey(key=key, lookup=lookup, digest=digest(key))


def lookup_of(key: str) -> str | None:
    """The lookup part of a well-formed key, else None."""
    match = KEY.match(key)
    return match.group(1) if match else None


def matches(key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(key), stored_digest)
