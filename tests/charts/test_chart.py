"""The Helm chart: lints strictly, renders one Deployment and Service per service from one template with safe
defaults, and its schema refuses bad values."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "motcua"
HELM = ROOT / ".tools" / "bin" / "helm"
SERVICES = {"gateway", "intake", "workflow", "payment", "notify", "registry"}


@pytest.fixture(scope="session")
def helm() -> Path:
    if not HELM.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "install-helm.sh")], check=True)
    return HELM


def render(helm, *args) -> list[dict]:
    out = subprocess.run([str(helm), "template", "motcua", str(CHART), *args], capture_output=True, text=True,
                         check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.mark.parametrize("values", [None, "values-2level.yaml", "values-3level.yaml"])
def test_lint_strict(helm, values):
    args = ["-f", str(CHART / values)] if values else []
    result = subprocess.run([str(helm), "lint", "--strict", str(CHART), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_deployment_and_service_per_service_with_safe_defaults(helm):
    docs = render(helm)
    deployments = {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in docs
                   if d["kind"] == "Deployment"}
    services = [d for d in docs if d["kind"] == "Service"]
    assert set(deployments) == SERVICES and len(services) == 6
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        [container] = pod["containers"]
        assert container["args"] == [name]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        env = {e["name"]: e for e in container["env"]}
        for secret in ("AMQP_URI", "DATABASE_URL", "MOTCUA_APPLICANT_REF_KEY"):
            assert "secretKeyRef" in env[secret]["valueFrom"] and "value" not in env[secret]
    hooks = [d for d in docs if d["kind"] == "Job"]
    assert hooks and "pre-install" in hooks[0]["metadata"]["annotations"]["helm.sh/hook"]


def test_admin_model_reaches_the_pods(helm):
    for model in ("2level", "3level"):
        docs = render(helm, "-f", str(CHART / f"values-{model}.yaml"))
        env = {e["name"]: e.get("value") for d in docs if d["kind"] == "Deployment"
               for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["MOTCUA_ADMIN_MODEL"] == model


def test_disabled_service_is_not_rendered(helm):
    docs = render(helm, "--set", "services.payment.enabled=false")
    assert "payment" not in {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in docs
                             if d["kind"] == "Deployment"}


@pytest.mark.parametrize("bad", [
    "defaults:\n  replicas: -1\n",
    "surprise: true\n",
    "image:\n  repository: x\n  pullPolicy: Sometimes\n",
    "services:\n  gateway: {metricsPort: 80}\n",
    "province: {code: nb, name: x, adminModel: 2level}\n",
    "services:\n  billing: {metricsPort: 9200}\n",
])
def test_schema_refuses_bad_values(helm, tmp_path, bad):
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    result = subprocess.run([str(helm), "template", "motcua", str(CHART), "-f", str(path)], capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert "schema" in (result.stderr + result.stdout).lower()
