"""Sign-in core of the gateway: verify OpenID Connect tokens and say who is calling. Pure Python, no framework.

Citizens sign in with VNeID (`sub` = the 12-digit personal identification number, `name`); officers with the
province's OIDC provider (`sub`, `unit` = admin unit or agency code, `roles` = list); agencies integrate by API
with client credentials (`sub`, `unit`). Each issuer is configured (`IssuerConfig`) with its audience, the kinds
of principal it may vouch for, the asymmetric algorithms it may use and its JWKS. The key always comes from that
JWKS by `kid`, never from the token (`jwk`, `jku`, `x5u`, `x5c` headers are ignored), and HS*/`none` are refused
for every issuer, so a public key can never be used as an HMAC secret.

Kinds: an issuer configured with one kind (VNeID: citizen) decides the kind itself; a `motcua_kind` claim, if a
token carries one, must agree. An issuer configured with several kinds (the development provider) must name the
kind of each token in `motcua_kind`, and only such an issuer is believed about it.

Local runs use `DevIdentityProvider`: one issuer for every kind, RS256 tokens signed with an RSA-2048 key kept on
disk (mode 0600), `kid` = RFC 7638 thumbprint, every token carrying `motcua_kind`. `issuer_config()` accepts all
kinds; `issuer_config("citizen")` only citizens. It refuses to exist unless `env == "local"`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KINDS = ("citizen", "officer", "agency")
KIND_CLAIM = "motcua_kind"
# ASCII digits only: `\d` also matches other scripts' digits and `$` accepts a trailing newline.
_ID_NUMBER = re.compile(r"[0-9]{12}")
MAX_TOKEN_CHARS = 16_384  # far above any real ID token; refuses garbage before any parsing or key lookup
VERIFIED_CACHE_SIZE = (
    4096  # tokens remembered as verified (a few MB at most); times still checked on each use
)
REFRESH_ON_UNKNOWN_KID_SECONDS = 30

# Algorithm -> JWK key type it needs (and curve, for EC), so a key is only ever used with its own family.
_ASYMMETRIC = {
    **{f"RS{n}": ("RSA", None) for n in (256, 384, 512)},
    **{f"PS{n}": ("RSA", None) for n in (256, 384, 512)},
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}

_MESSAGES = {
    "expired": ("Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.", "The token has expired."),
    "invalid_issuer": ("Nơi cấp mã truy cập không được tin cậy.", "The token issuer is not trusted."),
    "invalid_audience": (
        "Mã truy cập không dành cho hệ thống này.",
        "The token is not meant for this service.",
    ),
    "unknown_key": ("Khoá ký của mã truy cập không được biết.", "The token is signed with an unknown key."),
    "invalid_signature": ("Chữ ký của mã truy cập không hợp lệ.", "The token signature is invalid."),
    "malformed": ("Mã truy cập không đúng định dạng.", "The token is malformed."),
    "algorithm_not_allowed": ("Thuật toán ký không được chấp nhận.", "The signing algorithm is not allowed."),
    "missing_claim": (
        "Mã truy cập thiếu thông tin bắt buộc hoặc thông tin không hợp lệ.",
        "The token lacks a required claim or a claim has the wrong form.",
    ),
}


class TokenError(Exception):
    """A refused token. `code` is stable (see `_MESSAGES`); `message` is Vietnamese, `message_en` English;
    `detail` is for logs and never carries the token's subject."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.message, self.message_en = _MESSAGES[code]
        self.detail = detail
        super().__init__(f"{code}: {detail or self.message_en}")


def is_id_number(value: object) -> bool:
    return isinstance(value, str) and _ID_NUMBER.fullmatch(value) is not None


def mask_id_number(value: str) -> str:
    return "*" * 9 + value[-3:] if is_id_number(value) else value


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: str
    name: str
    unit: str | None
    roles: frozenset[str]
    issuer: str
    # The token's `iat` and `exp` (seconds since the epoch): the session checks need them; not part of who it is.
    issued_at: float | None = field(default=None, compare=False)
    expires_at: float | None = field(default=None, compare=False)
    # What an officer's token says besides: the provider's groups (`STAFF_GROUPS_CLAIM`) and e-mail address, for
    # the staff directory (services/gateway/staff.py), which decides an officer's unit and roles.
    groups: frozenset[str] = field(default=frozenset(), compare=False)
    email: str = field(default="", compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")

    # A property, not a method: `if principal.is_citizen:` on a bound method would always be true.
    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def __repr__(self) -> str:
        # Logs must never carry a full ID number (Law 91/2025 on personal data); the name is left out too.
        return (
            f"Principal(kind={self.kind!r}, subject={mask_id_number(self.subject)!r}, unit={self.unit!r}, "
            f"roles={sorted(self.roles)!r}, issuer={self.issuer!r})"
        )

    __str__ = __repr__


def _has_kid(jwks: dict, kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in jwks.get("keys", []))


class CachedJwks:
    """A JWKS fetched with `fetch()` and kept `ttl_seconds`. A token naming a key id the cache lacks triggers
    one early refresh, at most every 30 s (so a flood of made-up kids costs one fetch per 30 s), which picks up
    a rotated key. When a refresh fails the keys already held stay in use and the fetch is retried after 30 s;
    with nothing held, the fetch error propagates (the provider is unreachable, not the token wrong)."""

    def __init__(
        self, fetch: Callable[[], dict], ttl_seconds: float = 300, now: Callable[[], float] = time.monotonic
    ):
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._now = now
        self._jwks: dict | None = None
        self._fetched_at = -math.inf
        self._forced_at = -math.inf
        self._lock = threading.Lock()  # one fetch at a time; others wait and reuse its answer

    def get(self, kid: str | None = None) -> dict:
        with self._lock:
            now = self._now()
            if self._jwks is None or now - self._fetched_at >= self._ttl:
                self._refresh(now)
            elif (
                kid is not None
                and not _has_kid(self._jwks, kid)
                and now - self._forced_at >= REFRESH_ON_UNKNOWN_KID_SECONDS
            ):
                self._forced_at = now
                self._refresh(now)
            return self._jwks

    def _refresh(self, now: float) -> None:
        try:
            jwks = self._fetch()
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
                raise ValueError("the JWKS document has no 'keys' list")
        except Exception:
            if self._jwks is None:
                raise
            self._fetched_at = now - self._ttl + REFRESH_ON_UNKNOWN_KID_SECONDS
            return
        self._jwks, self._fetched_at = jwks, now


@dataclass(frozen=True)
class IssuerConfig:
    """One trusted OIDC issuer. `kinds` may be given as a single kind ("citizen")."""

    issuer: str
    audience: str
    kinds: tuple[str, ...]
    jwks: dict | CachedJwks | Callable[[], dict]
    algorithms: tuple[str, ...] = ("RS256", "ES256")

    def __post_init__(self):
        kinds = (self.kinds,) if isinstance(self.kinds, str) else tuple(self.kinds)
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "algorithms", tuple(self.algorithms))
        if not kinds or any(kind not in KINDS for kind in kinds):
            raise ValueError(f"kinds must be a non-empty selection of {KINDS}")
        bad = [alg for alg in self.algorithms if alg not in _ASYMMETRIC]
        if bad or not self.algorithms:
            raise ValueError(f"only asymmetric algorithms are accepted from an OIDC provider, not {bad}")

    def keys(self, kid: str | None) -> dict:
        if isinstance(self.jwks, CachedJwks):
            return self.jwks.get(kid)
        if callable(self.jwks):
            return self.jwks()
        return self.jwks


class TokenVerifier:
    """Verifies bearer tokens from the configured issuers; `verify` returns a `Principal` or raises `TokenError`."""

    def __init__(
        self,
        issuers: Iterable[IssuerConfig],
        leeway_seconds: float = 30,
        now: Callable[[], float] = time.time,
        groups_claim: str = "groups",
    ):
        self.leeway_seconds = leeway_seconds
        self.now = now
        self.groups_claim = groups_claim
        self._by_issuer: dict[str, IssuerConfig] = {}
        # Tokens whose signature, issuer, audience and algorithm were checked: a session sends the same token
        # with every request, and an RSA verification (with the key built from its JWK) is the costliest part
        # of a request at the gateway. Times are checked again on every use; bounded, least recently used out.
        self._verified: OrderedDict[str, tuple[IssuerConfig, dict]] = OrderedDict()
        self.cache_size = VERIFIED_CACHE_SIZE
        for config in issuers:
            if config.issuer in self._by_issuer:
                raise ValueError(f"issuer {config.issuer} configured twice")
            self._by_issuer[config.issuer] = config

    @property
    def issuers(self) -> list[IssuerConfig]:
        return list(self._by_issuer.values())

    def verify(self, token: str) -> Principal:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise TokenError("malformed", "not a compact JWS")
        known = self._verified.get(token)
        if known is not None:
            self._verified.move_to_end(token)
            config, claims = known
            self._check_times(claims)
            return _principal(config, claims, self.groups_claim)
        config, claims = self._verify_signed(token)
        self._check_times(claims)
        principal = _principal(config, claims, self.groups_claim)
        self._verified[token] = (config, claims)
        if len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)
        return principal

    def _verify_signed(self, token: str) -> tuple[IssuerConfig, dict]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise TokenError("malformed", str(exc)) from None
        alg = header.get("alg")
        # Before anything else, and whatever the issuer: `none` and HMAC are never acceptable.
        if not isinstance(alg, str) or alg not in _ASYMMETRIC:
            raise TokenError("algorithm_not_allowed", repr(alg))
        if "crit" in header or "b64" in header:
            raise TokenError("malformed", "critical header extensions are not supported")
        iss = unverified.get("iss")
        config = self._by_issuer.get(iss) if isinstance(iss, str) else None
        if config is None:
            raise TokenError("invalid_issuer", repr(iss)[:200])
        if alg not in config.algorithms:
            raise TokenError("algorithm_not_allowed", alg)
        key = self._key(config, alg, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=config.audience,
                issuer=config.issuer,
                # Times are checked below against `self.now`, strictly typed (PyJWT accepts "123" and NaN).
                options={
                    "require": ["exp", "sub"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise TokenError("invalid_signature") from None
        except jwt.InvalidAudienceError:
            raise TokenError("invalid_audience") from None
        except jwt.InvalidIssuerError:
            raise TokenError("invalid_issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError("missing_claim", str(exc)) from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise TokenError("malformed", str(exc)) from None
        return config, claims

    def _key(self, config: IssuerConfig, alg: str, kid: object):
        if not isinstance(kid, str) or not kid:
            raise TokenError("unknown_key", "no kid in the token header")
        jwks = config.keys(kid)
        jwk = next(
            (
                k
                for k in jwks.get("keys", [])
                if isinstance(k, dict) and k.get("kid") == kid and k.get("use", "sig") == "sig"
            ),
            None,
        )
        if jwk is None:
            raise TokenError("unknown_key", kid)
        kty, crv = _ASYMMETRIC[alg]
        if jwk.get("kty") != kty or (crv and jwk.get("crv") != crv) or jwk.get("alg", alg) != alg:
            raise TokenError("algorithm_not_allowed", f"key {kid} is not a {alg} key")
        try:
            return jwt.PyJWK(jwk, algorithm=alg).key
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise TokenError("unknown_key", f"key {kid} is unusable: {exc}") from None

    def _check_times(self, claims: dict) -> None:
        now, leeway = self.now(), self.leeway_seconds
        if _numeric_date(claims, "exp") <= now - leeway:
            raise TokenError("expired")
        for name in ("nbf", "iat"):
            if name in claims and _numeric_date(claims, name) > now + leeway:
                raise TokenError("malformed", f"token not yet valid ({name} in the future)")


def _numeric_date(claims: dict, name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TokenError("malformed", f"{name} must be a finite number of seconds")
    return value


def _text(claims: dict, name: str, required: bool) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        if required:
            raise TokenError("missing_claim", name)
        return None
    if not isinstance(value, str):
        raise TokenError("missing_claim", f"{name} must be a string")
    return value


def _principal(config: IssuerConfig, claims: dict, groups_claim: str = "groups") -> Principal:
    claimed = claims.get(KIND_CLAIM)
    if len(config.kinds) == 1:
        kind = config.kinds[0]
        if claimed is not None and claimed != kind:
            raise TokenError("missing_claim", f"{KIND_CLAIM} disagrees with the issuer's kind")
    elif claimed in config.kinds:
        kind = claimed
    else:
        raise TokenError("missing_claim", KIND_CLAIM)
    subject = _text(claims, "sub", required=True)
    if kind == "citizen" and not is_id_number(subject):
        raise TokenError(
            "missing_claim", "a citizen's sub must be the 12-digit personal identification number"
        )
    name = _text(claims, "name", required=kind == "citizen") or ""
    # An officer's unit and roles may come from the staff directory instead (services/gateway/staff.py refuses an
    # officer it cannot place): the token need not carry them.
    unit = _text(claims, "unit", required=kind == "agency")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise TokenError("missing_claim", "roles must be a list of role names")
    groups = claims.get(groups_claim, []) if kind == "officer" else []
    email = claims.get("email") if kind == "officer" else ""
    issued_at = _numeric_date(claims, "iat") if "iat" in claims else None
    return Principal(
        subject=subject,
        kind=kind,
        name=name,
        unit=unit,
        roles=frozenset(roles),
        issuer=config.issuer,
        issued_at=issued_at,
        expires_at=_numeric_date(claims, "exp"),
        groups=frozenset(g for g in groups if isinstance(g, str) and g)
        if isinstance(groups, list)
        else frozenset(),
        email=email if isinstance(email, str) else "",
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64_int(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 (and RFC 8037 for OKP) SHA-256 thumbprint: required members only, sorted, no whitespace."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return _b64url(hashlib.sha256(canonical).digest())


_DEV_NAMES = {
    "citizen": "Công dân thử nghiệm",
    "officer": "Cán bộ thử nghiệm",
    "agency": "Hệ thống thử nghiệm",
}


class DevIdentityProvider:
    """Local development sign-in: RS256 tokens signed with an RSA key on disk. Local mode only."""

    def __init__(
        self,
        key_path: Path,
        issuer: str = "http://localhost:8000/dev-idp",
        audience: str = "motcua",
        *,
        env: str,
        now: Callable[[], float] = time.time,
    ):
        if env != "local":
            raise RuntimeError(
                f"DevIdentityProvider is for local development only (MOTCUA_ENV=local), not {env!r}"
            )
        self.issuer = issuer
        self.audience = audience
        self._now = now
        self._key = _load_or_create_key(Path(key_path))
        numbers = self._key.public_key().public_numbers()
        self._public_jwk = {"kty": "RSA", "e": _b64_int(numbers.e), "n": _b64_int(numbers.n)}
        self.kid = jwk_thumbprint(self._public_jwk)

    def jwks(self) -> dict:
        return {"keys": [{**self._public_jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def issue(
        self,
        subject: str,
        kind: str = "citizen",
        name: str = "",
        unit: str | None = None,
        roles: Iterable[str] = (),
        ttl_seconds: int = 3600,
        groups: Iterable[str] = (),
        email: str = "",
    ) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        roles = [roles] if isinstance(roles, str) else list(roles)
        now = int(self._now())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": str(uuid.uuid4()),
            "name": name or _DEV_NAMES[kind],
            KIND_CLAIM: kind,
        }
        if unit:
            claims["unit"] = unit
        if roles:
            claims["roles"] = roles
        if groups:
            claims["groups"] = list(groups)
        if email:
            claims["email"] = email
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def issuer_config(self, kind: str | None = None) -> IssuerConfig:
        """All kinds (told apart by `motcua_kind`), or only `kind`. A verifier takes one config per issuer."""
        return IssuerConfig(
            issuer=self.issuer,
            audience=self.audience,
            kinds=(kind,) if kind else KINDS,
            jwks=self.jwks(),
            algorithms=("RS256",),
        )


def _load_or_create_key(key_path: Path) -> rsa.RSAPrivateKey:
    if not key_path.exists():
        key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Written whole under a temporary name, then linked: a process starting alongside never reads half a
        # key, and if two create one at once the first link wins and both use that key.
        tmp = key_path.with_name(f".{key_path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            try:
                os.link(tmp, key_path)
            except FileExistsError:
                pass
            except OSError:  # no hard links on this file system (some bind mounts): exclusive create instead
                _write_exclusive(key_path, pem)
        finally:
            tmp.unlink(missing_ok=True)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ValueError(f"{key_path} does not hold an RSA private key of at least 2048 bits")
    return key


def _write_exclusive(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
