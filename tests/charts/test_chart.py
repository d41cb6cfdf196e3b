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


# -- deeper checks: Kubernetes schemas, custom resources, monitoring rules, catalogue ------------------------------
VALUES_FILES = [None, "values-2level.yaml", "values-3level.yaml"]
FULL = ["--set", "monitoring.forceCRDs=true", "--set", "rabbitmq.enabled=true", "--set", "postgresql.enabled=true"]
# Minimal schemas for the custom resources we render: kubernetes-validate ships only core schemas, and the
# operators' CRDs are not available offline. These check the fields the chart sets (and nothing else).
CR_SCHEMAS = {
    "ServiceMonitor": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["selector", "endpoints"], "properties": {
            "endpoints": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["port"]}},
            "selector": {"type": "object", "required": ["matchLabels"]}}}}},
    "PrometheusRule": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["groups"], "properties": {"groups": {"type": "array", "minItems": 1,
                                                                          "items": {"type": "object",
                                                                                    "required": ["name", "rules"]}}}}}},
    "RabbitmqCluster": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["replicas"], "properties": {"replicas": {"type": "integer", "minimum": 1}}}}},
    "Cluster": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["instances", "storage"], "properties": {
            "instances": {"type": "integer", "minimum": 1}, "storage": {"type": "object", "required": ["size"]}}}}},
    "Database": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["name", "owner", "cluster"]}}},
}


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_rendered_object_validates_against_kubernetes_schemas(helm, tmp_path, values):
    import jsonschema

    args = (["-f", str(CHART / values)] if values else []) + FULL
    out = subprocess.run([str(helm), "template", "motcua", str(CHART), *args], capture_output=True, text=True,
                         check=True).stdout
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(out)
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "kubernetes-validate"), "--strict", "-k", "1.33.0",
                             str(rendered)], capture_output=True, text=True)
    docs = [d for d in yaml.safe_load_all(out) if d]
    custom = [d for d in docs if d["kind"] in CR_SCHEMAS]
    core_failures = [line for line in (result.stdout + result.stderr).splitlines()
                     if line.startswith("ERROR")]
    assert not core_failures, core_failures
    for doc in custom:
        jsonschema.validate(doc, CR_SCHEMAS[doc["kind"]])
    print(f"validated {len(docs) - len(custom)} core objects with kubernetes-validate and {len(custom)} custom "
          f"resources ({', '.join(sorted({d['kind'] for d in custom}))}) with the chart's minimal CR schemas")


def test_operators_wire_connection_secrets_without_plain_values(helm):
    docs = render(helm, *FULL)
    [deployment] = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("intake")]
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["RABBITMQ_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"].endswith("-broker-default-user")
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"].endswith("-db-app")
    assert "$(PGPASSWORD)" in env["DATABASE_URL"]["value"] and "{service}" in env["DATABASE_URL"]["value"]
    databases = {d["spec"]["name"] for d in docs if d["kind"] == "Database"}
    assert databases == {f"motcua_{s}" for s in SERVICES - {"gateway"}}
    kinds = {d["kind"] for d in docs}
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor",
            "PrometheusRule"} <= kinds


def test_monitoring_objects_only_when_their_crds_exist(helm):
    kinds = {d["kind"] for d in render(helm)}
    assert "ServiceMonitor" not in kinds and "PrometheusRule" not in kinds
    with_crds = {d["kind"] for d in render(helm, "--api-versions", "monitoring.coreos.com/v1")}
    assert {"ServiceMonitor", "PrometheusRule"} <= with_crds


def test_only_the_gateway_is_open_to_outside_traffic(helm):
    policies = [d for d in render(helm) if d["kind"] == "NetworkPolicy"]
    public = [p for p in policies if p["metadata"]["name"].endswith("gateway-public")]
    assert len(public) == 1
    assert public[0]["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "gateway"
    internal = [p for p in policies if p["metadata"]["name"].endswith("internal")][0]
    assert all("podSelector" in rule["from"][0] or "namespaceSelector" in rule["from"][0]
               for rule in internal["spec"]["ingress"])


def test_catalogue_config_map_matches_the_service_data_and_is_mounted(helm):
    docs = render(helm)
    [config] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("catalogue")]
    source = ROOT / "services" / "workflow" / "data"
    files = {str(p.relative_to(source)): p.read_text() for p in source.rglob("*.yaml")}
    # The chart's copy is generated (`make chart-data`), never edited by hand: it must equal the source.
    assert {k.replace("__", "/"): v.rstrip("\n") for k, v in config["data"].items()} == {
        k: v.rstrip("\n") for k, v in files.items()}
    [workflow] = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("workflow")]
    volume = [v for v in workflow["spec"]["template"]["spec"]["volumes"] if v["name"] == "catalogue"][0]
    assert {i["path"] for i in volume["configMap"]["items"]} == set(files)


def test_promtool_checks_and_unit_tests_the_alerting_rules():
    rules = CHART / "files" / "prometheus-rules.yaml"
    checked = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(["promtool", "test", "rules", "rules_test.yaml"], capture_output=True, text=True,
                            cwd=ROOT / "tests" / "charts")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {r["alert"] for g in yaml.safe_load(rules.read_text())["groups"] for r in g["rules"] if "alert" in r}
    tested_alerts = {t["alertname"] for case in yaml.safe_load((ROOT / "tests/charts/rules_test.yaml").read_text())["tests"]
                     for t in case.get("alert_rule_test", [])}
    assert alerts == tested_alerts  # every alert has a unit test


def test_dashboard_is_valid_json_with_the_panels_ops_need(helm):
    import json

    [config] = [d for d in render(helm) if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("dashboard")]
    dashboard = json.loads(config["data"]["motcua.json"])
    text = json.dumps(dashboard)
    for metric in ("motcua_workflow_dossiers_received_total", "motcua:on_time_rate:ratio_rate1d",
                   "motcua_workflow_processing_duration_seconds_bucket", "motcua_workflow_cases_overdue",
                   "motcua_payment_payments_total", "motcua_notify_notifications_total", "motcua_outbox_backlog",
                   "motcua_dead_letter_messages"):
        assert metric in text, metric
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
