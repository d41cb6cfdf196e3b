"""The Helm chart: lints strictly, renders one Deployment and Service per service from one template with safe
defaults and no secret in plain text, runs migrations then topology in a hook, and its schema refuses bad values."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "motcua"
HELM = ROOT / ".tools" / "bin" / "helm"
# The running venv's own (make test VENV=... runs another venv; its tools are beside its interpreter).
KUBERNETES_VALIDATE = Path(sys.executable).parent / "kubernetes-validate"
SERVICES = {"gateway", "intake", "workflow", "payment", "notify", "registry"}
METRICS_PORTS = {
    "gateway": 9100,
    "intake": 9101,
    "workflow": 9102,
    "payment": 9103,
    "notify": 9104,
    "registry": 9105,
}
VALUES_FILES = [None, "values-2level.yaml", "values-3level.yaml"]
# Every optional part switched on: operators' custom resources, Prometheus Operator objects, the Ingress.
FULL = [
    "--set",
    "monitoring.forceCRDs=true",
    "--set",
    "rabbitmq.enabled=true",
    "--set",
    "postgresql.enabled=true",
    "--set",
    "ingress.enabled=true",
    "--set",
    "ingress.tlsSecretName=tls",
    "--set",
    "keda.enabled=true",
    "--set",
    "postgresql.backup.enabled=true",
    "--set",
    "postgresql.backup.destinationPath=s3://motcua-backups/db",
]
SECRET_ENV = {
    "AMQP_URI",
    "DATABASE_URL",
    "MOTCUA_APPLICANT_REF_KEY",
    "VNPAY_HASH_SECRET",
    "RABBITMQ_USERNAME",
    "RABBITMQ_PASSWORD",
    "PGUSER",
    "PGPASSWORD",
}


@pytest.fixture(scope="session")
def helm() -> Path:
    """helm v4 from .tools/bin, installed once per session by scripts/install-helm.sh when missing."""
    if not HELM.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "install-helm.sh")], check=True, timeout=600)
    assert HELM.exists(), "scripts/install-helm.sh did not install .tools/bin/helm"
    return HELM


def values_args(values: str | None) -> list[str]:
    return ["-f", str(CHART / values)] if values else []


def template(helm, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(helm), "template", "motcua", str(CHART), *args], capture_output=True, text=True
    )


def render(helm, *args) -> list[dict]:
    result = template(helm, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs, kind) -> dict[str, dict]:
    """Objects of one kind keyed by component (service name) or, failing that, by object name."""
    return {
        d["metadata"]["labels"].get("app.kubernetes.io/component", d["metadata"]["name"]): d
        for d in docs
        if d["kind"] == kind
    }


def containers(deployment) -> dict:
    pod = deployment["spec"]["template"]["spec"]
    return {c["name"]: c for c in pod.get("initContainers", []) + pod["containers"]}


def env_of(container) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


def test_install_script_is_idempotent_and_prints_the_version(helm):
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install-helm.sh")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert re.match(r"v4\.\d+\.\d+", result.stdout), result.stdout


@pytest.mark.parametrize("values", VALUES_FILES)
def test_lint_strict(helm, values):
    result = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART), *values_args(values)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_strict_with_every_optional_part(helm):
    result = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART), *FULL], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_deployment_and_service_per_service_with_safe_defaults(helm):
    docs = render(helm)
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    assert set(deployments) == SERVICES and set(services) == SERVICES
    [account] = [d for d in docs if d["kind"] == "ServiceAccount"]
    assert account["automountServiceAccountToken"] is False
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == account["metadata"]["name"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["terminationGracePeriodSeconds"] == 60
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        [container] = pod["containers"]
        assert container["args"] == [name]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"] and security["runAsNonRoot"] is True
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == METRICS_PORTS[name]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"]
        env = env_of(container)
        assert env["METRICS_PORT"]["value"] == str(METRICS_PORTS[name])
        assert env["STOP_TIMEOUT_SECONDS"]["value"] == "55"
        assert env["MOTCUA_ENV"]["value"] == "production"
        for secret, key in (
            ("AMQP_URI", "amqp-uri"),
            ("DATABASE_URL", "database-url"),
            ("MOTCUA_APPLICANT_REF_KEY", "applicant-ref-key"),
        ):
            assert env[secret]["valueFrom"]["secretKeyRef"] == {"name": "motcua-connections", "key": key}
            assert "value" not in env[secret]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(METRICS_PORTS[name])
        service_ports = {p["name"]: p["port"] for p in services[name]["spec"]["ports"]}
        assert service_ports["metrics"] == METRICS_PORTS[name]
        assert services[name]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    gateway = containers(deployments["gateway"])["gateway"]
    assert {p["name"]: p["containerPort"] for p in gateway["ports"]}["http"] == 8000
    assert {p["name"]: p["port"] for p in services["gateway"]["spec"]["ports"]}["http"] == 80
    # The HPA owns the replica count: a Deployment that also set it would be reset on every upgrade.
    assert all("replicas" not in d["spec"] for d in deployments.values())
    assert set(by_kind(docs, "HorizontalPodAutoscaler")) == SERVICES


@pytest.mark.parametrize("values", VALUES_FILES)
def test_no_secret_in_plain_text(helm, values):
    result = template(helm, *values_args(values), *FULL)
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert "Secret" not in {d["kind"] for d in docs}
    # No credentials inside a URI, except Kubernetes' own $(VAR) references to Secret-backed variables.
    credentials = re.findall(r"[a-z+0-9]+://[^\s/\"@]+:[^\s/\"@]+@", result.stdout)
    assert all("$(" in c for c in credentials), credentials
    for d in docs:
        if d["kind"] not in ("Deployment", "Job"):
            continue
        for container in containers(d).values():
            for name, entry in env_of(container).items():
                if name in SECRET_ENV and "$(" not in entry.get("value", ""):
                    assert "secretKeyRef" in entry.get("valueFrom", {}), (d["metadata"]["name"], name)


def test_example_provinces_reach_the_pods(helm):
    expected = {
        "values-2level.yaml": ("province,commune", "2level"),
        "values-3level.yaml": ("province,district,commune", "3level"),
    }
    for values, (levels, model) in expected.items():
        docs = render(helm, *values_args(values))
        for deployment in by_kind(docs, "Deployment").values():
            [container] = deployment["spec"]["template"]["spec"]["containers"]
            env = env_of(container)
            assert env["MOTCUA_PROVINCE_CODE"]["value"] == "NB"
            assert env["MOTCUA_ADMIN_LEVELS"]["value"] == levels
            assert env["MOTCUA_ADMIN_MODEL"]["value"] == model  # what the workflow service reads


def test_examples_override_per_service_settings(helm):
    docs = render(helm, *values_args("values-3level.yaml"))
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    assert hpas["workflow"]["spec"]["minReplicas"] == 3 and hpas["intake"]["spec"]["minReplicas"] == 2
    workflow = containers(by_kind(docs, "Deployment")["workflow"])["workflow"]
    assert env_of(workflow)["MAX_WORKERS"]["value"] == "20"
    assert workflow["resources"]["limits"]["memory"] == "768Mi"
    payment = containers(by_kind(docs, "Deployment")["payment"])["payment"]
    assert env_of(payment)["VNPAY_HASH_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "motcua-nb-connections",
        "key": "vnpay-hash-secret",
    }
    assert "VNPAY_HASH_SECRET" not in env_of(workflow)


def test_explicit_false_and_zero_override_the_defaults(helm):
    docs = render(
        helm,
        "--set",
        "services.intake.autoscaling.enabled=false",
        "--set",
        "services.notify.replicas=0",
        "--set",
        "services.registry.minAvailable=0",
        "--set",
        "services.payment.terminationGracePeriodSeconds=120",
    )
    deployments, hpas = by_kind(docs, "Deployment"), by_kind(docs, "HorizontalPodAutoscaler")
    assert "intake" not in hpas and deployments["intake"]["spec"]["replicas"] == 2
    assert "notify" not in hpas and deployments["notify"]["spec"]["replicas"] == 0
    assert "registry" not in by_kind(docs, "PodDisruptionBudget")
    assert hpas["workflow"]["spec"]["maxReplicas"] == 6  # untouched services keep the defaults
    payment = deployments["payment"]["spec"]["template"]["spec"]
    assert payment["terminationGracePeriodSeconds"] == 120
    assert env_of(payment["containers"][0])["STOP_TIMEOUT_SECONDS"]["value"] == "115"


def test_disabled_service_is_not_rendered(helm):
    docs = render(helm, "--set", "services.payment.enabled=false", "--set", "monitoring.forceCRDs=true")
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"):
        assert "payment" not in {
            d["metadata"]["name"].removeprefix("motcua-") for d in docs if d["kind"] == kind
        }
    assert len(by_kind(docs, "Deployment")) == 5
    [job] = [d for d in docs if d["kind"] == "Job"]
    assert "migrate-payment" not in containers(job)
    assert "payment" not in containers(job)["topology"]["command"]


def test_migration_hook_migrates_each_service_then_declares_the_topology(helm):
    docs = render(helm)
    [job] = [d for d in docs if d["kind"] == "Job"]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    pod = job["spec"]["template"]["spec"]
    # A pre-install hook runs before the release's ServiceAccount exists: it must not reference it.
    assert "serviceAccountName" not in pod and pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    ordered = sorted(SERVICES)
    assert [c["name"] for c in pod["initContainers"]] == [f"migrate-{s}" for s in ordered]
    for service, init in zip(ordered, pod["initContainers"], strict=True):
        assert init["command"] == ["python", "-m", "services.chassis.migrate", service]
    [topology] = pod["containers"]
    assert topology["command"] == ["python", "-m", "services.chassis.topology", *ordered]
    for container in containers(job).values():
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert env_of(container)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "database-url"
    # Connection Secrets made by the operators appear only after install: the first run moves to post-install.
    [managed] = [d for d in render(helm, "--set", "rabbitmq.enabled=true") if d["kind"] == "Job"]
    assert managed["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"
    assert not [d for d in render(helm, "--set", "migrations.enabled=false") if d["kind"] == "Job"]


def test_ingress_only_for_the_gateway_and_configurable(helm):
    assert not [d for d in render(helm) if d["kind"] == "Ingress"]
    docs = render(helm, *values_args("values-2level.yaml"))
    [ingress] = [d for d in docs if d["kind"] == "Ingress"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["dichvucong.ninhbinh.example.gov.vn"], "secretName": "motcua-nb-tls"}
    ]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "dichvucong.ninhbinh.example.gov.vn"
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": "motcua-gateway",
        "port": {"name": "http"},
    }
    gateway = containers(by_kind(docs, "Deployment")["gateway"])["gateway"]
    assert env_of(gateway)["PUBLIC_URL"]["value"] == "https://dichvucong.ninhbinh.example.gov.vn"
    issuers = json.loads(env_of(gateway)["OIDC_ISSUERS"]["value"])
    assert {i["kind"] for i in issuers} == {"citizen", "officer"}


def test_file_store_is_a_shared_claim_for_gateway_and_intake(helm):
    docs = render(helm)
    [claim] = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for name, deployment in by_kind(docs, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        claims = [
            v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v
        ]
        env = env_of(pod["containers"][0])
        if name in ("gateway", "intake"):
            assert claims == [claim["metadata"]["name"]]
            assert env["FILE_STORE_DIR"]["value"] == "/var/lib/motcua/files"
        else:
            assert not claims and "FILE_STORE_DIR" not in env
    docs = render(helm, "--set", "fileStore.existingClaim=uploads")
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    gateway = by_kind(docs, "Deployment")["gateway"]["spec"]["template"]["spec"]
    assert {"name": "files", "persistentVolumeClaim": {"claimName": "uploads"}} in gateway["volumes"]


def test_workflow_rolls_when_the_catalogue_changes(helm):
    annotations = {
        name: d["spec"]["template"]["metadata"]["annotations"]
        for name, d in by_kind(render(helm), "Deployment").items()
    }
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["workflow"]["checksum/catalogue"])
    assert "checksum/catalogue" not in annotations["intake"]


BAD_VALUES = {
    "negative replicas": "defaults:\n  replicas: -1\n",
    "replicas as text": "services:\n  intake: {replicas: two}\n",
    "unknown top-level key": "surprise: true\n",
    "unknown key in a service": "services:\n  intake: {replica: 3}\n",
    "unknown service": "services:\n  billing: {metricsPort: 9200}\n",
    "bad pull policy": "image:\n  pullPolicy: Sometimes\n",
    "privileged port": "services:\n  gateway: {metricsPort: 80}\n",
    "http port on a backend": "services:\n  intake: {httpPort: 8001}\n",
    "lower-case province": "province: {code: nb}\n",
    "unknown admin levels": "province: {adminLevels: [province, ward]}\n",
    "unknown environment": "env: staging\n",
    "secret as plain env": "extraEnv:\n  AMQP_URI: amqp://user:pass@broker/\n",
    "password as plain env": "services:\n  notify:\n    extraEnv: {SMTP_PASSWORD: hunter2}\n",
    "root user": "podSecurityContext: {runAsNonRoot: false}\n",
    "writable root fs": "securityContext: {readOnlyRootFilesystem: false}\n",
    "grace too short": "defaults: {terminationGracePeriodSeconds: 3}\n",
    "secret env without key": "extraSecretEnv:\n  VNPAY_HASH_SECRET: {secret: x}\n",
    "KEDA on the gateway": "keda: {enabled: true, services: [gateway]}\n",
    "KEDA target of zero": "keda: {messagesPerPod: 0}\n",
    "unknown broker anti-affinity": "rabbitmq: {antiAffinity: sometimes}\n",
}


@pytest.mark.parametrize("bad", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_schema_refuses_bad_values(helm, tmp_path, bad):
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    result = template(helm, "-f", str(path))
    assert result.returncode != 0
    message = (result.stderr + result.stdout).lower()
    assert "schema" in message and "values" in message, message


# -- deeper checks: Kubernetes schemas, custom resources, monitoring rules, catalogue ------------------------------
# Minimal schemas for the custom resources we render: kubernetes-validate ships only core schemas, and the
# operators' CRDs are not available offline. These check the fields the chart sets (and nothing else).
CR_SCHEMAS = {
    "ServiceMonitor": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "properties": {
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "required": ["port"]},
                    },
                    "selector": {"type": "object", "required": ["matchLabels"]},
                },
            }
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["groups"],
                "properties": {
                    "groups": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "required": ["name", "rules"]},
                    }
                },
            }
        },
    },
    "RabbitmqCluster": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["replicas"],
                "properties": {"replicas": {"type": "integer", "minimum": 1}},
            }
        },
    },
    "Cluster": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["instances", "storage"],
                "properties": {
                    "instances": {"type": "integer", "minimum": 1},
                    "storage": {"type": "object", "required": ["size"]},
                },
            }
        },
    },
    # CloudNativePG's Barman Cloud plugin (barmancloud.cnpg.io/v1) and ScheduledBackup with method: plugin.
    "ObjectStore": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["configuration"],
                "properties": {
                    "retentionPolicy": {"type": "string", "pattern": "^[1-9][0-9]*[dwm]$"},
                    "configuration": {
                        "type": "object",
                        "required": ["destinationPath"],
                        "properties": {"destinationPath": {"type": "string", "minLength": 1}},
                    },
                },
            }
        },
    },
    "ScheduledBackup": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["schedule", "cluster", "method", "pluginConfiguration"],
                "properties": {
                    "schedule": {"type": "string", "pattern": "^(\\S+\\s+){5}\\S+$"},
                    "method": {"const": "plugin"},
                    "cluster": {"type": "object", "required": ["name"]},
                    "pluginConfiguration": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"const": "barman-cloud.cloudnative-pg.io"}},
                    },
                },
            }
        },
    },
    "Database": {
        "type": "object",
        "required": ["spec"],
        "properties": {"spec": {"type": "object", "required": ["name", "owner", "cluster"]}},
    },
    # KEDA 2.x: keda.sh/v1alpha1 ScaledObject with rabbitmq triggers, TriggerAuthentication by Secret reference.
    "ScaledObject": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["scaleTargetRef", "triggers", "minReplicaCount", "maxReplicaCount"],
                "additionalProperties": False,
                "properties": {
                    "scaleTargetRef": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {"name": {"type": "string"}},
                    },
                    "minReplicaCount": {"type": "integer", "minimum": 0},
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "pollingInterval": {"type": "integer", "minimum": 1},
                    "cooldownPeriod": {"type": "integer", "minimum": 0},
                    "triggers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["type", "metadata", "authenticationRef"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"const": "rabbitmq"},
                                "authenticationRef": {"type": "object", "required": ["name"]},
                                "metadata": {
                                    "type": "object",
                                    "required": ["queueName", "mode", "value", "protocol"],
                                    "additionalProperties": {"type": "string"},
                                    "properties": {
                                        "mode": {"enum": ["QueueLength", "MessageRate"]},
                                        "protocol": {"enum": ["amqp", "http", "auto"]},
                                        "value": {"type": "string", "pattern": "^[0-9]+$"},
                                    },
                                },
                            },
                        },
                    },
                },
            }
        },
    },
    "TriggerAuthentication": {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["secretTargetRef"],
                "additionalProperties": False,
                "properties": {
                    "secretTargetRef": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["parameter", "name", "key"],
                            "additionalProperties": False,
                            "properties": {
                                "parameter": {"type": "string"},
                                "name": {"type": "string", "minLength": 1},
                                "key": {"type": "string", "minLength": 1},
                            },
                        },
                    }
                },
            }
        },
    },
}


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_rendered_object_validates_against_kubernetes_schemas(helm, tmp_path, values):
    if not KUBERNETES_VALIDATE.exists() and not shutil.which("kubernetes-validate"):
        pytest.skip("kubernetes-validate is not installed (pip install kubernetes-validate)")
    import jsonschema

    result = template(helm, *values_args(values), *FULL)
    assert result.returncode == 0, result.stderr
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(result.stdout)
    command = str(KUBERNETES_VALIDATE) if KUBERNETES_VALIDATE.exists() else "kubernetes-validate"
    checked = subprocess.run(
        [command, "--strict", "-k", "1.33.0", str(rendered)], capture_output=True, text=True
    )
    output = (checked.stdout + checked.stderr).splitlines()
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    custom = [d for d in docs if d["kind"] in CR_SCHEMAS]
    assert checked.returncode == 0, [line for line in output if not line.startswith("INFO")]
    # Every core object was really checked (kubernetes-validate only warns about kinds it has no schema for).
    assert sum(" passed for resource " in line for line in output) == len(docs) - len(custom), output
    for doc in custom:
        jsonschema.validate(doc, CR_SCHEMAS[doc["kind"]])


def test_operators_wire_connection_secrets_without_plain_values(helm):
    docs = render(helm, *FULL)
    env = env_of(containers(by_kind(docs, "Deployment")["intake"])["intake"])
    assert env["RABBITMQ_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"].endswith("-broker-default-user")
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"].endswith("-db-app")
    assert "$(PGPASSWORD)" in env["DATABASE_URL"]["value"] and "{service}" in env["DATABASE_URL"]["value"]
    # $(VAR) only expands variables defined earlier in the list.
    names = list(env)
    assert names.index("PGPASSWORD") < names.index("DATABASE_URL")
    assert names.index("RABBITMQ_PASSWORD") < names.index("AMQP_URI")
    databases = {d["spec"]["name"] for d in docs if d["kind"] == "Database"}
    assert databases == {f"motcua_{s}" for s in SERVICES - {"gateway"}}
    kinds = {d["kind"] for d in docs}
    assert {
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
        "PrometheusRule",
    } <= kinds


def test_monitoring_objects_only_when_their_crds_exist(helm):
    kinds = {d["kind"] for d in render(helm)}
    assert "ServiceMonitor" not in kinds and "PrometheusRule" not in kinds
    with_crds = {d["kind"] for d in render(helm, "--api-versions", "monitoring.coreos.com/v1")}
    assert {"ServiceMonitor", "PrometheusRule"} <= with_crds


def test_only_the_gateway_is_open_to_outside_traffic(helm):
    policies = {d["metadata"]["name"]: d for d in render(helm) if d["kind"] == "NetworkPolicy"}
    public = policies["motcua-gateway-public"]
    assert public["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "gateway"
    assert public["spec"]["ingress"] == [{"ports": [{"port": 8000, "protocol": "TCP"}]}]
    internal = policies["motcua-internal"]
    [selected] = internal["spec"]["podSelector"]["matchExpressions"]
    assert set(selected["values"]) == SERVICES | {"migrations"}
    assert all(
        "podSelector" in rule["from"][0] or "namespaceSelector" in rule["from"][0]
        for rule in internal["spec"]["ingress"]
    )


def test_catalogue_config_map_matches_the_service_data_and_is_mounted(helm):
    docs = render(helm)
    [config] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("catalogue")]
    source = ROOT / "services" / "workflow" / "data"
    files = {str(p.relative_to(source)): p.read_text() for p in source.rglob("*.yaml")}
    # The chart's copy is generated (`make chart-data`), never edited by hand: it must equal the source.
    assert {k.replace("__", "/"): v.rstrip("\n") for k, v in config["data"].items()} == {
        k: v.rstrip("\n") for k, v in files.items()
    }
    workflow = by_kind(docs, "Deployment")["workflow"]["spec"]["template"]["spec"]
    volume = [v for v in workflow["volumes"] if v["name"] == "catalogue"][0]
    assert {i["path"] for i in volume["configMap"]["items"]} == set(files)


RULES = CHART / "files" / "prometheus-rules.yaml"
RUNBOOKS = ROOT / "docs" / "runbooks"
RUNBOOK_SECTIONS = ("## What it means", "## Confirm", "## What to do", "## It is over when")
# A base URL unlike the default, so the test proves the value reaches every alert.
RUNBOOK_BASE = "https://wiki.ninhbinh.example.gov.vn/motcua/runbooks"


def alerts_of(rules: dict) -> list[dict]:
    return [r for g in rules["groups"] for r in g["rules"] if "alert" in r]


def scrape_targets(docs) -> list[tuple[str, str]]:
    """(job, port) of every target the rendered ServiceMonitors make Prometheus Operator scrape. The operator sets
    `job` to the value of the Service label named by the monitor's `jobLabel`, or the Service's name when there is
    no jobLabel or the Service lacks that label."""
    services = [d for d in docs if d["kind"] == "Service"]
    targets = []
    for monitor in (d for d in docs if d["kind"] == "ServiceMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"]
        [service] = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
        label = monitor["spec"].get("jobLabel")
        job = (
            service["metadata"]["labels"].get(label, service["metadata"]["name"])
            if label
            else service["metadata"]["name"]
        )
        ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        targets += [(job, str(ports[e["port"]])) for e in monitor["spec"]["endpoints"]]
    return targets


def service_down_cases(targets, alert) -> list[dict]:
    """One promtool case per scraped job: that target stops answering, the others (and a foreign job) keep going
    or are down without being MotCua's."""
    instances = {job: f"10.0.0.{i}:{port}" for i, (job, port) in enumerate(targets, start=1)}
    cases = []
    for down in instances:
        series = [
            {
                "series": f'up{{job="{job}", instance="{instance}"}}',
                "values": "1 1 0 0 0 0" if job == down else "1x5",
            }
            for job, instance in instances.items()
        ]
        series.append({"series": 'up{job="kube-state-metrics", instance="10.9.9.9:8080"}', "values": "0x5"})
        expected = {
            "exp_labels": {"severity": "critical", "job": down, "instance": instances[down]},
            "exp_annotations": {
                "summary": f"{down} ({instances[down]}) is down",
                "description": alert["annotations"]["description"],
                "runbook_url": f"{RUNBOOK_BASE}/MotCuaServiceDown.md",
            },
        }
        cases.append(
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "2m", "alertname": "MotCuaServiceDown", "exp_alerts": []},
                    {"eval_time": "5m", "alertname": "MotCuaServiceDown", "exp_alerts": [expected]},
                ],
            }
        )
    return cases


def test_promtool_checks_and_unit_tests_the_rendered_alerting_rules(helm, tmp_path):
    """The rules Prometheus gets (the rendered PrometheusRule) fire on the labels the rendered ServiceMonitors
    produce; the static cases of rules_test.yaml run against the same rendered rules."""
    if not shutil.which("promtool"):
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    checked = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    docs = render(
        helm,
        "--set",
        "monitoring.forceCRDs=true",
        "--set",
        f"monitoring.prometheusRule.runbookBaseUrl={RUNBOOK_BASE}/",
    )
    [rule] = [d for d in docs if d["kind"] == "PrometheusRule"]
    rendered = tmp_path / "rules.yaml"
    rendered.write_text(yaml.safe_dump(rule["spec"]))
    checked = subprocess.run(["promtool", "check", "rules", str(rendered)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    targets = scrape_targets(docs)
    assert {job for job, _ in targets} == SERVICES  # jobLabel: app.kubernetes.io/component
    spec = yaml.safe_load((ROOT / "tests" / "charts" / "rules_test.yaml").read_text())
    spec["rule_files"] = [str(rendered)]
    for case in spec["tests"]:
        for test in case.get("alert_rule_test", []):
            for alert in test.get("exp_alerts") or []:
                alert["exp_annotations"]["runbook_url"] = f"{RUNBOOK_BASE}/{test['alertname']}.md"
    [down] = [a for a in alerts_of(rule["spec"]) if a["alert"] == "MotCuaServiceDown"]
    spec["tests"] += service_down_cases(targets, down)
    tests = tmp_path / "rules_test.yaml"
    tests.write_text(yaml.safe_dump(spec))
    tested = subprocess.run(["promtool", "test", "rules", str(tests)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {a["alert"] for a in alerts_of(rule["spec"])}
    tested_alerts = {
        t["alertname"]
        for case in spec["tests"]
        for t in case.get("alert_rule_test", [])
        if any(t.get("exp_alerts") or [])
    }
    assert alerts == tested_alerts  # every alert has a case in which it fires


def test_every_alert_has_severity_a_for_and_a_runbook(helm):
    alerts = alerts_of(yaml.safe_load(RULES.read_text()))
    assert alerts
    for alert in alerts:
        name = alert["alert"]
        assert alert["labels"]["severity"] in ("critical", "warning"), name
        assert re.fullmatch(r"[0-9]+[smh]", alert.get("for", "")), name
        runbook = RUNBOOKS / f"{name}.md"
        assert runbook.exists(), f"{name} has no runbook: write docs/runbooks/{name}.md"
        text = runbook.read_text()
        missing = [s for s in RUNBOOK_SECTIONS if s not in text]
        assert not missing, (name, missing)
    [rule] = [d for d in render(helm, "--set", "monitoring.forceCRDs=true") if d["kind"] == "PrometheusRule"]
    default = "https://github.com/motcua/motcua/blob/main/docs/runbooks"
    assert {a["alert"]: a["annotations"]["runbook_url"] for a in alerts_of(rule["spec"])} == {
        a["alert"]: f"{default}/{a['alert']}.md" for a in alerts
    }


def test_dashboard_is_valid_json_with_the_panels_ops_need(helm):
    [config] = [
        d for d in render(helm) if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("dashboard")
    ]
    dashboard = json.loads(config["data"]["motcua.json"])
    text = json.dumps(dashboard)
    for metric in (
        "motcua_workflow_dossiers_received_total",
        "motcua:on_time_rate:ratio_rate1d",
        "motcua_workflow_processing_duration_seconds_bucket",
        "motcua_workflow_cases_overdue",
        "motcua_payment_payments_total",
        "motcua_notify_notifications_total",
        "motcua_outbox_backlog",
        "motcua_dead_letter_messages",
    ):
        assert metric in text, metric
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_web_sign_in_reaches_only_the_gateway_with_its_secrets_by_reference(helm):
    docs = render(
        helm,
        "--set",
        "webSignIn.authorizeUrl=https://sso.example.gov.vn/authorize",
        "--set",
        "webSignIn.tokenUrl=https://sso.example.gov.vn/token",
        "--set",
        "webSignIn.clientId=motcua",
        "--set",
        "webSignIn.clientSecret.key=oidc-client-secret",
    )
    deployments = by_kind(docs, "Deployment")
    gateway = env_of(containers(deployments["gateway"])["gateway"])
    assert json.loads(gateway["OIDC_LOGIN"]["value"]) == {
        "authorize_url": "https://sso.example.gov.vn/authorize",
        "token_url": "https://sso.example.gov.vn/token",
        "client_id": "motcua",
    }
    assert gateway["WEB_SESSION_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "motcua-connections",
        "key": "web-session-secret",
    }
    assert gateway["OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "oidc-client-secret"
    for name, deployment in deployments.items():
        if name != "gateway":
            env = env_of(containers(deployment)[name])
            assert not {"WEB_SESSION_SECRET", "OIDC_CLIENT_SECRET", "OIDC_LOGIN"} & set(env), name
    plain = render(helm)
    assert "OIDC_LOGIN" not in env_of(containers(by_kind(plain, "Deployment")["gateway"])["gateway"])


# -- the Secret keys an operator must create: every key a template reads is named in the install docs -----------
# Secrets the operators generate (RabbitMQ Cluster Operator, CloudNativePG) are read directly; nobody creates them.
GENERATED_SECRETS = ("-broker-default-user", "-db-app")
WEB_SIGN_IN = [
    "--set",
    "webSignIn.authorizeUrl=https://sso.example.gov.vn/authorize",
    "--set",
    "webSignIn.tokenUrl=https://sso.example.gov.vn/token",
    "--set",
    "webSignIn.clientId=motcua",
    "--set",
    "webSignIn.clientSecret.key=oidc-client-secret",
]
SECRET_SCENARIOS = {
    "defaults": [],
    "every optional part": FULL,
    "web sign-in": WEB_SIGN_IN,
    **{v: values_args(v) for v in VALUES_FILES if v},
}


def secret_refs(node) -> set[tuple[str, str]]:
    """(secret, key) of every secretKeyRef anywhere in the rendered objects."""
    if isinstance(node, dict):
        found = (
            {(node["secretKeyRef"]["name"], node["secretKeyRef"]["key"])} if "secretKeyRef" in node else set()
        )
        # KEDA's TriggerAuthentication reads Secrets too (secretTargetRef entries: parameter, name, key).
        if "parameter" in node and "name" in node and "key" in node:
            found.add((node["name"], node["key"]))
        return found.union(*(secret_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(secret_refs(v) for v in node))
    return set()


def operator_secret_refs(docs) -> set[tuple[str, str]]:
    return {(name, key) for name, key in secret_refs(docs) if not name.endswith(GENERATED_SECRETS)}


def readme_install_keys() -> set[str]:
    """Keys the install step of docs/deploy.md creates (`kubectl create secret ... --from-literal=<key>=...`)."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text[text.index("## Install") :]
    section = section[: section.index("\n## ", 1)]
    commands = re.findall(r"kubectl create secret generic (?:[^\n]*\\\n)*[^\n]*", section)
    assert commands, "the install step of docs/deploy.md has no `kubectl create secret generic` command"
    return {
        key for command in commands for key in re.findall(r"--from-(?:literal|file)=([a-z0-9.-]+)=", command)
    }


def deploy_doc_keys() -> set[str]:
    """Keys in the first column of docs/deploy.md's "Secret keys" table."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text[text.index("## Secret keys") :]
    return set(re.findall(r"^\| `([a-z0-9.-]+)` \|", section, flags=re.M))


def undocumented(docs) -> set[str]:
    keys = {key for _, key in operator_secret_refs(docs)}
    return (keys - readme_install_keys()) | (keys - deploy_doc_keys())


@pytest.mark.parametrize("args", SECRET_SCENARIOS.values(), ids=SECRET_SCENARIOS.keys())
def test_every_secret_key_the_chart_reads_is_in_the_install_docs_and_notes(helm, args):
    docs = render(helm, *args)
    assert {key for _, key in operator_secret_refs(docs)} >= {"applicant-ref-key", "web-session-secret"}
    assert not undocumented(docs), (
        "add these keys to docs/deploy.md install step and docs/deploy.md 'Secret keys'"
    )
    installed = subprocess.run(
        [str(helm), "install", "motcua", str(CHART), "--dry-run=client", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    notes = installed.stdout[installed.stdout.index("Secret keys this release reads") :].splitlines()[1:]
    listed = set()
    for line in notes:
        if not line.startswith("  "):
            break
        secret, keys = line.strip().split(": ")
        listed |= {(secret, key) for key in keys.split(", ")}
    assert listed == operator_secret_refs(docs)  # NOTES names exactly what the pods will read


def test_the_docs_check_catches_an_undocumented_key(helm):
    docs = render(helm, "--set", "services.payment.extraSecretEnv.ZALO_TOKEN.key=zalo-token")
    assert undocumented(docs) == {"zalo-token"}


# -- the broker's nodes on separate hosts; KEDA on queue depth -------------------------------------------------
def test_broker_nodes_never_share_a_host_unless_told_to_prefer(helm):
    [cluster] = [d for d in render(helm, "--set", "rabbitmq.enabled=true") if d["kind"] == "RabbitmqCluster"]
    anti = cluster["spec"]["affinity"]["podAntiAffinity"]
    # The RabbitMQ Cluster Operator labels its pods app.kubernetes.io/name=<RabbitmqCluster name>.
    term = {
        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": cluster["metadata"]["name"]}},
        "topologyKey": "kubernetes.io/hostname",
    }
    assert anti == {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
    [soft] = [
        d
        for d in render(
            helm,
            "--set",
            "rabbitmq.enabled=true",
            "--set",
            "rabbitmq.antiAffinity=preferred",
            "--set",
            "rabbitmq.antiAffinityTopologyKey=topology.kubernetes.io/zone",
        )
        if d["kind"] == "RabbitmqCluster"
    ]
    assert soft["spec"]["affinity"]["podAntiAffinity"] == {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {**term, "topologyKey": "topology.kubernetes.io/zone"}}
        ]
    }


def test_queues_file_lists_the_queues_the_code_consumes():
    from scripts.chart_queues import render as render_queues

    assert (CHART / "files" / "queues.yaml").read_text() == render_queues(), "run `make chart-data`"


def test_keda_scales_backends_on_their_queues_instead_of_the_cpu_hpa(helm):
    import jsonschema

    assert not [d for d in render(helm) if d["kind"] in ("ScaledObject", "TriggerAuthentication")]
    queues = yaml.safe_load((CHART / "files" / "queues.yaml").read_text())
    # The gateway's one queue (staff directory changes) is listed, but it serves HTTP: never scaled by KEDA.
    assert queues.pop("gateway") == [
        "evt-workflow-motcua.workflow.v1.StaffMemberChanged--gateway.on_staff_member_changed"
    ]
    assert set(queues) == SERVICES - {"gateway"} and all(f"rpc-{s}" in q for s, q in queues.items())
    docs = render(helm, *values_args("values-3level.yaml"), "--set", "keda.enabled=true")
    scaled, hpas = by_kind(docs, "ScaledObject"), by_kind(docs, "HorizontalPodAutoscaler")
    deployments = by_kind(docs, "Deployment")
    [auth] = [d for d in docs if d["kind"] == "TriggerAuthentication"]
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "host", "name": "motcua-nb-connections", "key": "amqp-uri"}
    ]
    assert set(scaled) == set(queues)
    assert set(hpas) == {"gateway"}  # KEDA makes its own HPA: two would fight over the replica count
    for name, obj in scaled.items():
        jsonschema.validate(obj, CR_SCHEMAS["ScaledObject"])
        spec = obj["spec"]
        assert spec["scaleTargetRef"]["name"] == deployments[name]["metadata"]["name"]
        assert "replicas" not in deployments[name]["spec"]
        assert [t["metadata"]["queueName"] for t in spec["triggers"]] == queues[name]
        assert {t["authenticationRef"]["name"] for t in spec["triggers"]} == {auth["metadata"]["name"]}
        assert {t["metadata"]["value"] for t in spec["triggers"]} == {"20"}
    assert (
        scaled["workflow"]["spec"]["minReplicaCount"] == 3
        and scaled["intake"]["spec"]["minReplicaCount"] == 2
    )
    assert scaled["workflow"]["spec"]["maxReplicaCount"] == 6
    some = render(
        helm,
        "--set",
        "keda.enabled=true",
        "--set",
        "keda.services={notify}",
        "--set",
        "keda.messagesPerPod=5",
        "--set",
        "keda.hostSecret.secret=keda-broker",
    )
    assert set(by_kind(some, "ScaledObject")) == {"notify"}
    assert set(by_kind(some, "HorizontalPodAutoscaler")) == SERVICES - {"notify"}
    [auth] = [d for d in some if d["kind"] == "TriggerAuthentication"]
    assert auth["spec"]["secretTargetRef"][0]["name"] == "keda-broker"
    assert {t["metadata"]["value"] for t in by_kind(some, "ScaledObject")["notify"]["spec"]["triggers"]} == {
        "5"
    }


def test_the_database_cluster_is_pinned_synchronous_and_backed_up_on_a_schedule(helm):
    docs = render(helm, *FULL)
    [cluster] = [d for d in docs if d["kind"] == "Cluster"]
    spec = cluster["spec"]
    assert re.match(
        r"^ghcr\.io/cloudnative-pg/postgresql:\d+\.\d+", spec["imageName"]
    )  # a version, never latest
    assert spec["resources"]["requests"]["memory"] == spec["resources"]["limits"]["memory"]
    assert spec["postgresql"]["synchronous"] == {"method": "any", "number": 1, "dataDurability": "required"}
    [plugin] = spec["plugins"]
    assert plugin["name"] == "barman-cloud.cloudnative-pg.io" and plugin["isWALArchiver"] is True
    [store] = [d for d in docs if d["kind"] == "ObjectStore"]
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    assert store["spec"]["configuration"]["destinationPath"] == "s3://motcua-backups/db"
    [scheduled] = [d for d in docs if d["kind"] == "ScheduledBackup"]
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert scheduled["spec"]["method"] == "plugin"
    # Backups on without a destination: the values schema refuses to render.
    refused = template(helm, "--set", "postgresql.enabled=true", "--set", "postgresql.backup.enabled=true")
    assert refused.returncode != 0 and "destinationPath" in refused.stderr
    # Synchronous replication needs a standby to wait for.
    alone = template(helm, "--set", "postgresql.enabled=true", "--set", "postgresql.instances=1")
    assert alone.returncode != 0 and "synchronous" in alone.stderr


def test_local_env_behind_an_ingress_is_refused(helm):
    """env: local enables POST /dev/token: rendering it with a public Ingress fails, naming why."""
    refused = template(helm, "--set", "env=local", "--set", "ingress.enabled=true")
    assert refused.returncode != 0
    assert "env: local enables the development identity provider" in refused.stderr
    # Each half alone still renders: production with an Ingress (the default env), local without one.
    docs = render(helm, "--set", "ingress.enabled=true")
    assert "Ingress" in {d["kind"] for d in docs}
    assert render(helm, "--set", "env=local")
