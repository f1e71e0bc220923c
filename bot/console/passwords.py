"""Staff password hashing: scrypt (memory-hard), random salt, parameters stored with the hash.

Format: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``. Verification recomputes with the stored
parameters and compares in constant time, so stronger defaults later never lock anyone out
(:func:`needs_rehash` says when to upgrade a hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_PREFIX = "scrypt"
_SALT_BYTES = 16
_KEY_BYTES = 32


@dataclass(frozen=True)
class ScryptParams:
    n: int = 2**15  # CPU/memory cost: 128 * n * r bytes = 32 MiB with r=8
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt n must be a power of two ≥ 2")
        if self.r < 1 or self.p < 1:
            raise ValueError("scrypt r and p must be ≥ 1")

    @property
    def maxmem(self) -> int:
        # OpenSSL refuses anything above maxmem (32 MiB by default); leave headroom.
        return 128 * self.n * self.r * self.p + 16 * 1024 * 1024


DEFAULT_PARAMS = ScryptParams()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, params: ScryptParams) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.maxmem,
        dklen=_KEY_BYTES,
    )


def hash_password(password: str, params: ScryptParams = DEFAULT_PARAMS) -> str:
    if not password:
        raise ValueError("empty password")
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, params)
    return f"{_PREFIX}${params.n}${params.r}${params.p}${_b64(salt)}${_b64(key)}"


def _parse(encoded: str) -> tuple[ScryptParams, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _PREFIX:
        return None
    try:
        params = ScryptParams(int(parts[1]), int(parts[2]), int(parts[3]))
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    if params.n > 2**20 or params.r > 32 or params.p > 16 or not salt or not key:
        return None  # refuse parameters that would exhaust memory
    return params, salt, key


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches; malformed hashes never match."""
    parsed = _parse(encoded)
    if parsed is None or not password:
        return False
    params, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, params), key)


def needs_rehash(encoded: str, params: ScryptParams = DEFAULT_PARAMS) -> bool:
    parsed = _parse(encoded)
    return parsed is None or parsed[0] != params


# Verified against when the user name is unknown, so that timing does not reveal which names exist.
_DUMMY: dict[ScryptParams, str] = {}


def burn_verification_time(password: str, params: ScryptParams = DEFAULT_PARAMS) -> None:
    if params not in _DUMMY:
        _DUMMY[params] = hash_password(secrets.token_urlsafe(16), params)
    verify_password(password or "x", _DUMMY[params])
