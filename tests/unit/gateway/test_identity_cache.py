"""The gateway remembers tokens it verified: the signature is checked once per token, the times on every use,
and nothing unverified is ever taken from the memory."""

import time

import jwt
import pytest

from services.gateway import identity
from services.gateway.identity import DevIdentityProvider, TokenError, TokenVerifier

CITIZEN_ID = "037090000001"


@pytest.fixture
def idp(tmp_path):
    return DevIdentityProvider(tmp_path / "key.pem", env="local")


def _counting_decode(monkeypatch) -> list:
    calls = []
    real = jwt.decode

    def decode(token, *args, **kwargs):
        if (kwargs.get("options") or {}).get("verify_signature", True):
            calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(identity.jwt, "decode", decode)
    return calls


def test_a_verified_token_is_not_verified_again_but_its_times_are(idp, monkeypatch):
    clock = [time.time()]
    verifier = TokenVerifier([idp.issuer_config()], leeway_seconds=0, now=lambda: clock[0])
    token = idp.issue(CITIZEN_ID, name="Nguyễn Văn An", ttl_seconds=60)
    signed = _counting_decode(monkeypatch)
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second and first.subject == CITIZEN_ID
    assert len(signed) == 1  # one signature check for two requests
    clock[0] += 61
    with pytest.raises(TokenError) as refused:
        verifier.verify(token)
    assert refused.value.code == "expired"


def test_a_token_unlike_a_remembered_one_is_checked_in_full(idp):
    verifier = TokenVerifier([idp.issuer_config()])
    token = idp.issue(CITIZEN_ID, name="Nguyễn Văn An")
    verifier.verify(token)
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(TokenError):
        verifier.verify(forged)


def test_the_memory_is_bounded(idp):
    verifier = TokenVerifier([idp.issuer_config()])
    verifier.cache_size = 3
    tokens = [idp.issue(CITIZEN_ID, name="Nguyễn Văn An") for _ in range(5)]
    for token in tokens:
        verifier.verify(token)
    assert list(verifier._verified) == tokens[-3:]
