"""scrypt password hashes: random salt, parameters stored with the hash, constant-time verify."""

from __future__ import annotations

import base64

import pytest

from bot.console.passwords import DEFAULT_PARAMS, ScryptParams, hash_password, needs_rehash, verify_password
from tests.console.helpers import CHEAP


def test_default_parameters_are_memory_hard_and_round_trip() -> None:
    assert 128 * DEFAULT_PARAMS.n * DEFAULT_PARAMS.r >= 16 * 1024 * 1024  # at least 16 MiB per hash
    encoded = hash_password("mật khẩu của Lan 2026")
    scheme, n, r, p, salt, key = encoded.split("$")
    assert (scheme, int(n), int(r), int(p)) == (
        "scrypt",
        DEFAULT_PARAMS.n,
        DEFAULT_PARAMS.r,
        DEFAULT_PARAMS.p,
    )
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    assert verify_password("mật khẩu của Lan 2026", encoded)
    assert not verify_password("mật khẩu của Lan 2025", encoded)
    assert "mật khẩu" not in encoded


def test_salt_is_random_and_stored_parameters_are_used() -> None:
    first, second = hash_password("same-password", CHEAP), hash_password("same-password", CHEAP)
    assert first != second
    # Verification reads n, r, p from the hash, not from the current defaults.
    assert verify_password("same-password", first)
    assert needs_rehash(first) and not needs_rehash(first, CHEAP)
    assert not needs_rehash(hash_password("x", DEFAULT_PARAMS))


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain-text-password",
        "bcrypt$16$1$1$AAAA$AAAA",
        "scrypt$15$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # n not a power of two
        "scrypt$16$1$1$!!!!$AAAA",
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # would need 1 TiB
    ],
)
def test_malformed_or_hostile_hashes_never_match(encoded: str) -> None:
    assert not verify_password("anything", encoded)
    assert needs_rehash(encoded)


def test_tampered_hash_does_not_match() -> None:
    encoded = hash_password("correct horse", CHEAP)
    parts = encoded.split("$")
    key = bytearray(base64.b64decode(parts[5]))
    key[0] ^= 1
    parts[5] = base64.b64encode(bytes(key)).decode()
    assert not verify_password("correct horse", "$".join(parts))
    assert not verify_password("", encoded)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        ScryptParams(n=1000)
    with pytest.raises(ValueError):
        hash_password("", CHEAP)
