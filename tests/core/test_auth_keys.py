from __future__ import annotations

from studio_comms.core.auth import digest_matches, generate_key, prefix_of
from studio_comms.idempotency.service import fingerprint


def test_generated_keys_carry_their_prefix_and_256_random_bits() -> None:
    key = generate_key()
    assert prefix_of(key.plaintext) == key.prefix
    assert len(key.plaintext.split("_", 2)[2]) == 43  # token_urlsafe(32): 256 bits
    assert digest_matches(key.plaintext, key.digest)
    assert not digest_matches(key.plaintext + "x", key.digest)
    assert generate_key().plaintext != key.plaintext


def test_malformed_keys_have_no_prefix() -> None:
    for bad in ("", "abc", "sck_", "sck_short_secret", "xyz_0123456789ab_secret", "sck_0123456789ab_"):
        assert prefix_of(bad) is None


def test_fingerprint_ignores_json_formatting_but_not_values() -> None:
    a = fingerprint("PUT", "/v1/x", b'{"a": 1, "b": [1, 2]}')
    assert a == fingerprint("PUT", "/v1/x", b'{"b":[1,2],"a":1}')
    assert a != fingerprint("PUT", "/v1/x", b'{"b":[2,1],"a":1}')
    assert a != fingerprint("PUT", "/v1/y", b'{"a": 1, "b": [1, 2]}')
