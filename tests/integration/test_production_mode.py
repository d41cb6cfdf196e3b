"""Safe by default: a gateway started with MOTCUA_ENV=production (as the image sets it) has no development sign-in.
`POST /dev/token` and every `/dev-idp/*` address answer 404, so nobody can mint a token without a real identity
provider."""

from __future__ import annotations

import secrets

import pytest
import requests

from devtools.platform import ORDER, Platform
from devtools.ports import free_port
from tests.conftest import _vhost, wait_for

# Outside the range the shared `running` fixtures take (1000..8999 + shift), so it never clashes with them.


@pytest.fixture(scope="module")
def production_gateway(broker, tmp_path_factory):
    base = tmp_path_factory.mktemp("production")
    vhost = _vhost(broker)
    http_port = free_port()
    env = {
        "MOTCUA_ENV": "production",
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{broker.port}/{vhost}",
        "DATABASE_URL": f"sqlite:///{base}/{{service}}.db",
        "PYTHONWARNINGS": "ignore",
        "MOTCUA_APPLICANT_REF_KEY": secrets.token_hex(16),
        "WEB_SESSION_SECRET": secrets.token_hex(32),
        "PUBLIC_URL": f"http://127.0.0.1:{http_port}",
        # Where a local gateway would put its development key: it must not appear in production.
        "DEV_IDP_KEY": str(base / "dev-idp" / "key.pem"),
    }
    platform = Platform(
        env=env,
        log_dir=base / "logs",
        services=("gateway",),
        metrics_ports={name: free_port() for name in ORDER},
        http_port=http_port,
    )
    platform.migrate()  # the gateway's own database (sign-in sessions), as the chart's migration job does
    platform.declare_topology()
    platform.start("gateway")
    url = f"http://127.0.0.1:{http_port}"
    wait_for(lambda: requests.get(f"{url}/healthz", timeout=5).status_code == 200, 60, message="gateway up")
    yield url, base
    platform.stop_all()
    broker.rabbitmqctl("delete_vhost", vhost)


def test_a_production_gateway_mints_no_development_token(production_gateway):
    url, base = production_gateway
    minted = requests.post(
        f"{url}/dev/token",
        json={"sub": "leader@so-tu-phap", "kind": "officer", "unit": "so-tu-phap", "roles": ["leader"]},
        timeout=10,
    )
    assert minted.status_code == 404, minted.text
    assert minted.headers["Content-Type"].startswith("application/problem+json")
    assert "access_token" not in minted.text


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/dev-idp/jwks.json"),
        ("GET", "/dev-idp/authorize"),
        ("POST", "/dev-idp/authorize"),
        ("POST", "/dev-idp/token"),
    ],
)
def test_a_production_gateway_has_no_development_identity_provider(production_gateway, method, path):
    url, base = production_gateway
    answer = requests.request(
        method,
        f"{url}{path}",
        data={"kind": "officer", "unit": "x", "roles": "leader"},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 404, (path, answer.status_code, answer.text[:200])
    assert not (base / "dev-idp" / "key.pem").exists()
