"""Browser sessions for the citizen and officer web: the identity provider's token in an HttpOnly cookie,
CSRF tokens bound to that session, the sign-in state (OIDC `state` + PKCE verifier) in a short-lived signed
cookie, and the chosen language.

The secret (`WEB_SESSION_SECRET`) signs the sign-in cookie and derives CSRF tokens; it is required outside local
mode. Locally it is created once under `var/web/` (mode 0600). Nothing here is a server-side store: any gateway
replica can serve any request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from services.chassis.config import REPO_ROOT

SESSION_COOKIE = "motcua_session"
LOGIN_COOKIE = "motcua_login"
LANG_COOKIE = "motcua_lang"
LANGS = ("vi", "en")
LOGIN_TTL_SECONDS = 600


def load_secret(is_local: bool) -> bytes:
    value = os.environ.get("WEB_SESSION_SECRET", "")
    if value:
        return value.encode()
    if not is_local:
        raise RuntimeError("WEB_SESSION_SECRET is required outside local mode")
    path = Path(os.environ.get("WEB_SESSION_SECRET_FILE", str(REPO_ROOT / "var" / "web" / "session.key")))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_hex(32).encode())
    return path.read_bytes()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    def __init__(self, secret: bytes, secure: bool):
        self._secret = secret
        self.secure = secure

    # -- CSRF: an HMAC of the session cookie; a form from another site cannot know it ---------------------------
    def csrf_token(self, session_value: str) -> str:
        digest = hmac.new(self._secret, b"csrf|" + session_value.encode(), hashlib.sha256).digest()
        return _b64(digest[:24])

    def csrf_ok(self, session_value: str, token: str) -> bool:
        return bool(session_value and token) and hmac.compare_digest(self.csrf_token(session_value), token)

    # -- sign-in state: state, PKCE verifier and where to go afterwards, signed, 10 minutes ------------------------
    def seal(self, payload: dict) -> str:
        body = _b64(json.dumps({**payload, "exp": int(time.time()) + LOGIN_TTL_SECONDS}).encode())
        mac = _b64(hmac.new(self._secret, b"login|" + body.encode(), hashlib.sha256).digest())
        return f"{body}.{mac}"

    def unseal(self, value: str) -> dict | None:
        body, _, mac = (value or "").partition(".")
        expected = _b64(hmac.new(self._secret, b"login|" + body.encode(), hashlib.sha256).digest())
        if not body or not hmac.compare_digest(expected, mac):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        return payload if payload.get("exp", 0) >= time.time() else None

    def cookie_args(self, max_age: int | None) -> dict:
        return {"max_age": max_age, "httponly": True, "secure": self.secure, "samesite": "Lax", "path": "/"}


def pkce_pair() -> tuple[str, str]:
    verifier = _b64(secrets.token_bytes(32))
    challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
    return verifier, challenge


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def safe_next(value: str | None, default: str = "/") -> str:
    """Only paths on this site: never `//host`, `/\\host` or an absolute URL (no open redirect)."""
    value = value or ""
    if (
        not value.startswith("/")
        or value.startswith("//")
        or value.startswith("/\\")
        or any(c in value for c in "\r\n")
    ):
        return default
    return value
