"""Token verification refuses every forged, stale or misdirected token; the dev provider stays local."""

import base64
import hashlib
import hmac
import json
import os
import stat
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateway.identity import (
    CachedJwks,
    DevIdentityProvider,
    IssuerConfig,
    Principal,
    TokenError,
    TokenVerifier,
    jwk_thumbprint,
)

CITIZEN_ID = "037090000001"
UNIT = "000.00.07.H41"


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return DevIdentityProvider(tmp_path_factory.mktemp("idp") / "key.pem", env="local")


@pytest.fixture(scope="module")
def verifier(idp):
    return TokenVerifier([idp.issuer_config()])


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _by_hand(header: dict, claims: dict, signature: bytes = b"") -> str:
    return f"{_b64(header)}.{_b64(claims)}.{_b64(signature) if signature else ''}"


def _claims(idp, **over):
    now = int(time.time())
    base = {
        "iss": idp.issuer,
        "aud": idp.audience,
        "sub": CITIZEN_ID,
        "iat": now,
        "exp": now + 600,
        "name": "Nguyễn Văn An",
        "motcua_kind": "citizen",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _officer(idp, **over):
    return _claims(
        idp,
        **{
            "sub": "can-bo-07",
            "name": "Trần Thị Bình",
            "motcua_kind": "officer",
            "unit": UNIT,
            "roles": ["receiver", "processor"],
            **over,
        },
    )


def _signed(claims: dict, key, kid, alg: str = "RS256", **headers) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, **headers} if kid else headers or None)


def _refused(verifier, token) -> str:
    with pytest.raises(TokenError) as err:
        verifier.verify(token)
    assert err.value.message and err.value.message_en
    return err.value.code


def test_citizen_token_verifies_to_a_citizen(idp, verifier):
    principal = verifier.verify(idp.issue(CITIZEN_ID, name="Nguyễn Văn An"))
    assert principal == Principal(
        subject=CITIZEN_ID,
        kind="citizen",
        name="Nguyễn Văn An",
        unit=None,
        roles=frozenset(),
        issuer=idp.issuer,
    )
    assert principal.is_citizen and not principal.has_role("receiver")


def test_officer_token_verifies_to_an_officer(idp, verifier):
    principal = verifier.verify(
        idp.issue(
            "can-bo-07", kind="officer", name="Trần Thị Bình", unit=UNIT, roles=("receiver", "processor")
        )
    )
    assert principal == Principal(
        subject="can-bo-07",
        kind="officer",
        name="Trần Thị Bình",
        unit=UNIT,
        roles=frozenset({"receiver", "processor"}),
        issuer=idp.issuer,
    )
    assert not principal.is_citizen and principal.has_role("receiver") and not principal.has_role("leader")


def test_single_kind_issuer_with_es256_keys():
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "p1", "use": "sig"}
    verifier = TokenVerifier(
        [IssuerConfig("https://sso.example.gov.vn", "motcua", "officer", {"keys": [jwk]})]
    )
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": "https://sso.example.gov.vn",
            "aud": ["motcua", "portal"],
            "sub": "u-1",
            "exp": now + 60,
            "unit": UNIT,
            "roles": ["leader"],
        },
        key,
        algorithm="ES256",
        headers={"kid": "p1"},
    )
    principal = verifier.verify(token)
    assert (principal.kind, principal.unit, principal.roles) == ("officer", UNIT, frozenset({"leader"}))


def _tampered(idp) -> str:
    header, payload, signature = idp.issue(CITIZEN_ID).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "037185000002"
    return ".".join([header, _b64(claims), signature])


def _hs256_with_public_key(idp) -> str:
    """Algorithm confusion: an HMAC "signed" with the issuer's public key PEM, which anyone can fetch."""
    pem = idp._key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, claims = {"alg": "HS256", "typ": "JWT", "kid": idp.kid}, _claims(idp)
    signing_input = f"{_b64(header)}.{_b64(claims)}".encode()
    return _by_hand(header, claims, hmac.new(pem, signing_input, hashlib.sha256).digest())


REFUSALS = {
    "expired": (
        "expired",
        lambda idp, other: _signed(
            _claims(idp, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), idp._key, idp.kid
        ),
    ),
    "wrong issuer": (
        "invalid_issuer",
        lambda idp, other: _signed(_claims(idp, iss="https://evil.example"), idp._key, idp.kid),
    ),
    "issuer not a string": (
        "invalid_issuer",
        lambda idp, other: _by_hand({"alg": "RS256", "kid": idp.kid}, _claims(idp, iss=[idp.issuer]), b"x"),
    ),
    "wrong audience": (
        "invalid_audience",
        lambda idp, other: _signed(_claims(idp, aud="other-app"), idp._key, idp.kid),
    ),
    "other key, other kid": ("unknown_key", lambda idp, other: _signed(_claims(idp), other, "another-kid")),
    "no kid": ("unknown_key", lambda idp, other: _signed(_claims(idp), idp._key, None)),
    "embedded jwk header is ignored": (
        "unknown_key",
        lambda idp, other: _signed(
            _claims(idp),
            other,
            "attacker",
            jwk=jwt.algorithms.RSAAlgorithm.to_jwk(other.public_key(), as_dict=True),
        ),
    ),
    # A different key claiming our kid cannot be told from a forged signature: the key is known, the
    # signature does not match it.
    "other key, same kid": ("invalid_signature", lambda idp, other: _signed(_claims(idp), other, idp.kid)),
    "tampered payload": ("invalid_signature", lambda idp, other: _tampered(idp)),
    "alg none": (
        "algorithm_not_allowed",
        lambda idp, other: _by_hand({"alg": "none", "typ": "JWT", "kid": idp.kid}, _claims(idp)),
    ),
    "alg None spelled otherwise": (
        "algorithm_not_allowed",
        lambda idp, other: _by_hand({"alg": "None", "kid": idp.kid}, _claims(idp)),
    ),
    "alg none from an unknown issuer": (
        "algorithm_not_allowed",
        lambda idp, other: _by_hand({"alg": "none"}, _claims(idp, iss="https://evil.example")),
    ),
    "HS256 keyed with the public key": (
        "algorithm_not_allowed",
        lambda idp, other: _hs256_with_public_key(idp),
    ),
    "RS512 not in the issuer's list": (
        "algorithm_not_allowed",
        lambda idp, other: _signed(_claims(idp), idp._key, idp.kid, alg="RS512"),
    ),
    "missing exp": ("missing_claim", lambda idp, other: _signed(_claims(idp, exp=None), idp._key, idp.kid)),
    "missing sub": ("missing_claim", lambda idp, other: _signed(_claims(idp, sub=None), idp._key, idp.kid)),
    "exp infinite": (
        "malformed",
        lambda idp, other: _signed(_claims(idp, exp=float("inf")), idp._key, idp.kid),
    ),
    "exp a string": (
        "malformed",
        lambda idp, other: _signed(_claims(idp, exp="99999999999"), idp._key, idp.kid),
    ),
    "nbf an hour ahead": (
        "malformed",
        lambda idp, other: _signed(_claims(idp, nbf=int(time.time()) + 3600), idp._key, idp.kid),
    ),
    "citizen sub not 12 digits": ("missing_claim", lambda idp, other: idp.issue("not-an-id-number")),
    "citizen sub with 11 digits": ("missing_claim", lambda idp, other: idp.issue("03709000000")),
    "citizen sub with a trailing newline": ("missing_claim", lambda idp, other: idp.issue(CITIZEN_ID + "\n")),
    "citizen sub with non-ASCII digits": ("missing_claim", lambda idp, other: idp.issue("٠٣٧٠٩٠٠٠٠٠٠١")),
    "citizen without name": (
        "missing_claim",
        lambda idp, other: _signed(_claims(idp, name=None), idp._key, idp.kid),
    ),
    "agency without unit": ("missing_claim", lambda idp, other: idp.issue("agency-1", kind="agency")),
    "officer roles not a list": (
        "missing_claim",
        lambda idp, other: _signed(_officer(idp, roles="receiver"), idp._key, idp.kid),
    ),
    "multi-kind issuer without motcua_kind": (
        "missing_claim",
        lambda idp, other: _signed(_claims(idp, motcua_kind=None), idp._key, idp.kid),
    ),
    "unknown motcua_kind": (
        "missing_claim",
        lambda idp, other: _signed(_claims(idp, motcua_kind="admin"), idp._key, idp.kid),
    ),
    "not a token": ("malformed", lambda idp, other: "not.a.token"),
    "empty": ("malformed", lambda idp, other: ""),
    "oversized": ("malformed", lambda idp, other: "a" * 20_000 + ".b.c"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_refused_with_the_right_code(idp, verifier, other_key, case):
    code, make = REFUSALS[case]
    assert _refused(verifier, make(idp, other_key)) == code


def test_a_key_is_only_used_with_its_own_algorithm():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_jwk = {
        **jwt.algorithms.ECAlgorithm.to_jwk(
            ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True
        ),
        "kid": "k1",
    }
    verifier = TokenVerifier([IssuerConfig("https://idp", "motcua", "officer", {"keys": [ec_jwk]})])
    token = jwt.encode(
        {
            "iss": "https://idp",
            "aud": "motcua",
            "sub": "u",
            "exp": time.time() + 60,
            "unit": UNIT,
            "roles": ["r"],
        },
        rsa_key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert _refused(verifier, token) == "algorithm_not_allowed"


@pytest.mark.parametrize("algorithms", [("HS256",), ("RS256", "none"), ()])
def test_issuers_accept_only_asymmetric_algorithms(algorithms):
    with pytest.raises(ValueError):
        IssuerConfig("https://idp", "motcua", "citizen", {"keys": []}, algorithms)


def test_times_are_judged_by_the_injected_clock_with_leeway(idp):
    issued = 1_800_000_000
    token = _signed(_claims(idp, iat=issued, nbf=issued, exp=issued + 600), idp._key, idp.kid)
    at = lambda t: TokenVerifier([idp.issuer_config()], leeway_seconds=30, now=lambda: t)  # noqa: E731
    assert at(issued + 300).verify(token).subject == CITIZEN_ID
    assert at(issued - 20).verify(token).subject == CITIZEN_ID  # the provider's clock runs a little ahead
    assert at(issued + 600 + 20).verify(token).subject == CITIZEN_ID
    assert _refused(at(issued + 600 + 30), token) == "expired"
    assert _refused(at(issued - 60), token) == "malformed"


def test_single_kind_dev_config_refuses_the_other_kinds(idp):
    citizens_only = TokenVerifier([idp.issuer_config("citizen")])
    assert citizens_only.verify(idp.issue(CITIZEN_ID)).is_citizen
    officer = idp.issue("037090000002", kind="officer", unit=UNIT, roles=("receiver",))
    assert _refused(citizens_only, officer) == "missing_claim"


def test_principal_repr_masks_the_id_number(idp, verifier):
    principal = verifier.verify(idp.issue(CITIZEN_ID, name="Nguyễn Văn An"))
    for text in (repr(principal), str(principal), f"{principal}", repr([principal])):
        assert CITIZEN_ID not in text and "*********001" in text and "Nguyễn" not in text
    officer = Principal("can-bo-07", "officer", "B", UNIT, frozenset({"receiver"}), "https://idp")
    assert "can-bo-07" in repr(officer)


def test_token_error_speaks_vietnamese_first():
    err = TokenError("expired")
    assert err.code == "expired" and "hết hạn" in err.message and "expired" in err.message_en


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.tuples(
            st.dictionaries(
                st.sampled_from(["alg", "kid", "typ", "crit"]),
                st.one_of(st.sampled_from(["RS256", "none", "HS256", "ES256"]), st.integers()),
            ),
            st.dictionaries(
                st.sampled_from(["iss", "aud", "sub", "exp", "motcua_kind"]),
                st.one_of(st.text(max_size=20), st.integers(), st.none()),
            ),
            st.binary(max_size=64),
        ).map(lambda t: _by_hand(*t)),
    )
)
def test_garbage_only_ever_raises_token_error(verifier, token):
    with pytest.raises(TokenError):
        verifier.verify(token)


# -- development identity provider ----------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["production", "staging", "", "LOCAL"])
def test_dev_provider_refuses_outside_local_mode(tmp_path, env):
    with pytest.raises(RuntimeError, match="local development only"):
        DevIdentityProvider(tmp_path / "key.pem", env=env)
    assert not (tmp_path / "key.pem").exists()


def test_dev_provider_keeps_its_key_private_and_stable(tmp_path):
    path = tmp_path / "var" / "dev-idp" / "key.pem"
    first = DevIdentityProvider(path, env="local")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key.pem"]  # no temporary file left behind
    again = DevIdentityProvider(path, env="local")
    assert again.kid == first.kid
    assert TokenVerifier([again.issuer_config()]).verify(first.issue(CITIZEN_ID)).subject == CITIZEN_ID
    (jwk,) = first.jwks()["keys"]
    assert jwk["kid"] == jwk_thumbprint(jwk) and "d" not in jwk and jwk["alg"] == "RS256"


def test_thumbprint_matches_rfc_7638_example():
    jwk = {
        "kty": "RSA",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB"
        "ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8"
        "KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
        "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


# -- key rotation ---------------------------------------------------------------------------------------------
class Provider:
    """A remote JWKS endpoint that counts its fetches."""

    def __init__(self, jwks):
        self.jwks, self.fetches, self.down = jwks, 0, False

    def __call__(self):
        self.fetches += 1
        if self.down:
            raise ConnectionError("provider unreachable")
        return self.jwks


@pytest.fixture
def rotation(tmp_path):
    clock = [1000.0]
    old = DevIdentityProvider(tmp_path / "old.pem", issuer="https://idp", env="local")
    new = DevIdentityProvider(tmp_path / "new.pem", issuer="https://idp", env="local")
    provider = Provider(old.jwks())
    cache = CachedJwks(provider, ttl_seconds=3600, now=lambda: clock[0])
    verifier = TokenVerifier([IssuerConfig("https://idp", "motcua", ("citizen",), cache, ("RS256",))])
    return clock, old, new, provider, verifier


def test_rotation_picks_up_a_new_key_on_unknown_kid(rotation):
    clock, old, new, provider, verifier = rotation
    verifier.verify(old.issue(CITIZEN_ID))
    provider.jwks = {"keys": old.jwks()["keys"] + new.jwks()["keys"]}
    assert verifier.verify(new.issue(CITIZEN_ID)).subject == CITIZEN_ID
    assert verifier.verify(old.issue(CITIZEN_ID)).subject == CITIZEN_ID  # both valid during the overlap
    assert provider.fetches == 2


def test_unknown_kids_refresh_at_most_every_30_seconds(rotation, other_key):
    clock, old, new, provider, verifier = rotation
    verifier.verify(old.issue(CITIZEN_ID))
    bogus = lambda kid: _signed(_claims(old, aud="motcua"), other_key, kid)  # noqa: E731
    for n in range(5):
        assert _refused(verifier, bogus(f"made-up-{n}")) == "unknown_key"
    assert provider.fetches == 2
    provider.jwks = new.jwks()
    clock[0] += 10
    assert _refused(verifier, new.issue(CITIZEN_ID)) == "unknown_key"  # still inside the 30 s window
    clock[0] += 21
    assert verifier.verify(new.issue(CITIZEN_ID)).subject == CITIZEN_ID
    assert provider.fetches == 3


def test_ttl_expiry_refreshes_and_a_failed_refresh_keeps_the_old_keys(rotation):
    clock, old, new, provider, verifier = rotation
    verifier.verify(old.issue(CITIZEN_ID))
    clock[0] += 3600
    provider.down = True
    assert verifier.verify(old.issue(CITIZEN_ID)).subject == CITIZEN_ID
    assert provider.fetches == 2
    assert verifier.verify(old.issue(CITIZEN_ID)) and provider.fetches == 2  # no retry storm
    provider.down, provider.jwks = False, new.jwks()
    clock[0] += 30
    verifier.verify(new.issue(CITIZEN_ID))
    assert provider.fetches == 3
    assert _refused(verifier, old.issue(CITIZEN_ID)) == "unknown_key"  # retired key is gone


def test_first_fetch_failure_is_not_blamed_on_the_token():
    cache = CachedJwks(Provider({"keys": []}), ttl_seconds=60)
    cache._fetch.down = True
    with pytest.raises(ConnectionError):
        cache.get("k1")


def test_an_officer_token_need_not_place_the_officer_the_directory_does(idp, verifier):
    """Unit and roles of an officer come from the staff directory (services/gateway/staff.py), which refuses an
    officer it cannot place; the token may carry only who it is, with the provider's groups and e-mail."""
    bare = verifier.verify(idp.issue("can-bo-07", kind="officer"))
    assert (bare.unit, bare.roles, bare.groups) == (None, frozenset(), frozenset())
    token = idp.issue("can-bo-07", kind="officer", groups=["MC-TiepNhan", "STP"], email="a@example.vn")
    grouped = verifier.verify(token)
    assert grouped.groups == {"MC-TiepNhan", "STP"} and grouped.email == "a@example.vn"
    elsewhere = TokenVerifier([idp.issuer_config()], groups_claim="memberOf")
    assert elsewhere.verify(token).groups == frozenset()  # another provider's claim name
    assert verifier.verify(idp.issue(CITIZEN_ID, name="An")).groups == frozenset()
