"""Token verification refuses every forged, stale or misdirected token; the dev provider stays local."""
import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.gateway.identity import CachedJwks, DevIdentityProvider, IssuerConfig, TokenError, TokenVerifier


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return DevIdentityProvider(tmp_path_factory.mktemp("idp") / "key.pem", env="local")


@pytest.fixture
def verifier(idp):
    return TokenVerifier([idp.issuer_config()])


def _forge(claims: dict, key, kid: str, alg: str = "RS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def _claims(idp, **over):
    now = int(time.time())
    base = {"iss": idp.issuer, "aud": idp.audience, "sub": "037090000001", "iat": now, "exp": now + 600,
            "name": "Nguyễn Văn An", "motcua_kind": "citizen"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_citizen_and_officer_tokens_verify(idp, verifier):
    citizen = verifier.verify(idp.issue("037090000001", name="Nguyễn Văn An"))
    assert citizen.kind == "citizen" and citizen.subject == "037090000001"
    officer = verifier.verify(idp.issue("officer-1", kind="officer", unit="000.00.07.H41", roles=("receiver",)))
    assert officer.unit == "000.00.07.H41" and officer.has_role("receiver")


def test_principal_repr_masks_id_number(idp, verifier):
    text = repr(verifier.verify(idp.issue("037090000001")))
    assert "037090000001" not in text and "*********001" in text


def test_refusals(idp, verifier):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_public = idp._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    good = idp.issue("037090000001")
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "037185000002"
    tampered = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(),
                         signature])
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"' + idp.kid.encode() + b'"}')
    alg_none = none_header.rstrip(b"=").decode() + "." + payload + "."
    cases = {
        "expired": _forge(_claims(idp, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), idp._key, idp.kid),
        "invalid_issuer": _forge(_claims(idp, iss="https://evil.example"), idp._key, idp.kid),
        "invalid_audience": _forge(_claims(idp, aud="other-app"), idp._key, idp.kid),
        "unknown_key": _forge(_claims(idp), other, "another-kid"),
        "invalid_signature": _forge(_claims(idp), other, idp.kid),  # other key claiming our kid
        "algorithm_not_allowed": alg_none,
        "missing_claim": _forge(_claims(idp, exp=None), idp._key, idp.kid),
    }
    for code, token in cases.items():
        with pytest.raises(TokenError) as err:
            verifier.verify(token)
        assert err.value.code == code, (code, err.value)
    with pytest.raises(TokenError) as err:
        verifier.verify(tampered)
    assert err.value.code == "invalid_signature"
    # Algorithm confusion: HS256 keyed with the public key PEM must never pass.
    with pytest.raises(TokenError) as err:
        verifier.verify(jwt.encode(_claims(idp), pem_public.decode()[:64], algorithm="HS256",
                                   headers={"kid": idp.kid}))
    assert err.value.code == "algorithm_not_allowed"
    with pytest.raises(TokenError):
        verifier.verify("not.a.token")


def test_kind_rules(idp, verifier):
    with pytest.raises(TokenError):
        verifier.verify(idp.issue("not-an-id-number"))  # citizen sub must be a 12-digit ID number
    with pytest.raises(TokenError):
        verifier.verify(idp.issue("officer-1", kind="officer", roles=("receiver",)))  # no unit


def test_dev_provider_refuses_production(tmp_path):
    with pytest.raises(RuntimeError):
        DevIdentityProvider(tmp_path / "key.pem", env="production")


def test_jwks_rotation_picks_up_a_new_key(tmp_path):
    clock = [1000.0]
    old = DevIdentityProvider(tmp_path / "old.pem", issuer="https://idp", env="local")
    new = DevIdentityProvider(tmp_path / "new.pem", issuer="https://idp", env="local")
    published = {"jwks": old.jwks()}
    cache = CachedJwks(lambda: published["jwks"], ttl_seconds=3600, now=lambda: clock[0])
    verifier = TokenVerifier([IssuerConfig("https://idp", "motcua", ("citizen",), cache, ("RS256",))])
    verifier.verify(old.issue("037090000001"))
    published["jwks"] = {"keys": old.jwks()["keys"] + new.jwks()["keys"]}
    clock[0] += 31
    assert verifier.verify(new.issue("037090000001")).subject == "037090000001"
