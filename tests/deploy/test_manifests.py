"""deploy/k8s: every manifest passes the Kubernetes schemas (offline, strict), and the objects fit together —
probes on routes the server has, selectors that select, keys the settings know, placeholders only in the
Secret template."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from bot.settings import Settings
from tests.deploy.conftest import K8S, k8s_documents, k8s_resources, need_module

# The oldest Kubernetes release still commonly run, and the newest the validator knows.
KUBERNETES_VERSIONS = ["1.29", "latest"]
SETTING_NAMES = {name.upper() for name in Settings.model_fields}
DOCUMENTS = k8s_documents()
OBJECTS = k8s_resources()


def validate(doc: dict, version: str) -> None:
    utils = need_module("kubernetes_validate.utils")
    if version == "latest":
        version = utils.latest_version()
    utils.validate(doc, version, strict=True)


def pod_spec(kind: str, name: str) -> dict:
    obj = OBJECTS[(kind, name)]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def all_containers():
    for kind, name in [("Deployment", "pathways"), ("CronJob", "pathways-purge")]:
        spec = pod_spec(kind, name)
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield f"{kind}/{name}/{container['name']}", spec, container


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("doc", [doc for _, doc in DOCUMENTS], ids=[f"{n}:{d['kind']}" for n, d in DOCUMENTS])
def test_every_manifest_passes_the_strict_kubernetes_schema(doc, version):
    validate(doc, version)


def test_the_schema_check_rejects_a_misspelt_field_and_a_wrong_type():
    utils = need_module("kubernetes_validate.utils")
    deployment = copy.deepcopy(OBJECTS[("Deployment", "pathways")])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(utils.ValidationError):
        validate(deployment, "latest")
    deployment = copy.deepcopy(OBJECTS[("Deployment", "pathways")])
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(utils.ValidationError):
        validate(deployment, "latest")


def test_kustomization_applies_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secret.example.yaml"}
    assert all(doc["metadata"].get("namespace", "pathways") == "pathways" for _, doc in DOCUMENTS)


def test_the_server_runs_at_least_two_replicas_with_probes_on_readyz_and_healthz():
    deployment = OBJECTS[("Deployment", "pathways")]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (server,) = deployment["spec"]["template"]["spec"]["containers"]
    assert server["command"][:4] == ["pathways", "serve", "--host", "0.0.0.0"]  # noqa: S104
    port = int(server["command"][server["command"].index("--port") + 1])
    ports = {p["name"]: p["containerPort"] for p in server["ports"]}
    assert ports == {"http": port}
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert server[probe]["httpGet"]["port"] in ports


def test_the_probed_paths_answer_200_on_a_running_server(live_server):
    import urllib.request

    server = pod_spec("Deployment", "pathways")["containers"][0]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        path = server[probe]["httpGet"]["path"]
        with urllib.request.urlopen(live_server + path, timeout=5) as response:  # noqa: S310 - loopback
            assert response.status == 200, (probe, path)


def test_migrations_run_before_a_pod_serves():
    (migrate,) = pod_spec("Deployment", "pathways")["initContainers"]
    assert migrate["command"] == ["pathways", "db", "upgrade"]
    server = pod_spec("Deployment", "pathways")["containers"][0]
    assert migrate["image"] == server["image"] and migrate["envFrom"] == server["envFrom"]


def test_every_container_has_resources_and_runs_locked_down():
    for where, spec, container in all_containers():
        resources = container["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], where
        assert resources["limits"]["memory"], where
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"]["drop"] == ["ALL"], where
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, where
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        # A read-only root needs a writable /tmp (Python's tempfile).
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], where


def test_the_pods_run_as_the_user_the_image_creates():
    dockerfile = (K8S.parent / "Dockerfile").read_text()
    uid = int(re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE).group(1))
    for _, spec, _ in all_containers():
        assert spec["securityContext"]["runAsUser"] == uid


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_service_pdb_and_hpa_point_at_the_server_pods():
    template = OBJECTS[("Deployment", "pathways")]["spec"]["template"]
    labels = template["metadata"]["labels"]
    service = OBJECTS[("Service", "pathways")]
    assert selects(service["spec"]["selector"], labels)
    container_ports = {p["name"] for p in template["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports
    # The purge job's pods must not receive traffic.
    purge_labels = OBJECTS[("CronJob", "pathways-purge")]["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    assert not selects(service["spec"]["selector"], purge_labels["labels"])

    pdb = OBJECTS[("PodDisruptionBudget", "pathways")]
    assert selects(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"]["minAvailable"] >= 1

    hpa = OBJECTS[("HorizontalPodAutoscaler", "pathways")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "pathways"}
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert OBJECTS[("Deployment", "pathways")]["spec"]["template"]["spec"]["containers"][0]["resources"][
        "requests"]["cpu"], "CPU utilisation targets need a CPU request"


def test_the_ingress_is_tls_and_exposes_the_webhooks_only():
    from bot.channels.sms_webhook import INBOUND_PATH

    ingress = OBJECTS[("Ingress", "pathways")]
    service = OBJECTS[("Service", "pathways")]
    (rule,) = ingress["spec"]["rules"]
    (tls,) = ingress["spec"]["tls"]
    assert rule["host"] in tls["hosts"] and tls["secretName"]
    paths = {p["path"] for p in rule["http"]["paths"]}
    assert INBOUND_PATH in paths and "/telegram/webhook" in paths
    assert not paths & {"/", "/metrics", "/healthz", "/readyz"}
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    for path in rule["http"]["paths"]:
        backend = path["backend"]["service"]
        assert backend["name"] == "pathways" and backend["port"]["name"] in service_ports


def test_config_and_secret_keys_are_settings_and_agree_with_the_ingress():
    config = OBJECTS[("ConfigMap", "pathways-config")]["data"]
    secret = OBJECTS[("Secret", "pathways-secrets")]["stringData"]
    assert set(config) <= SETTING_NAMES, set(config) - SETTING_NAMES
    assert set(secret) <= SETTING_NAMES, set(secret) - SETTING_NAMES
    assert not set(config) & set(secret)
    # What the pods would be started with is a valid configuration.
    Settings(_env_file=None, **{k.lower(): v for k, v in (config | secret).items()})
    host = OBJECTS[("Ingress", "pathways")]["spec"]["rules"][0]["host"]
    assert config["PUBLIC_BASE_URL"] == f"https://{host}"
    assert config["TELEGRAM_WEBHOOK_URL"] == f"https://{host}/telegram/webhook"
    for key in secret:
        assert key not in config
    for secret_name in ("PATHWAYS_SECRET", "TWILIO_AUTH_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "DATABASE_URL"):
        assert secret_name in secret, f"{secret_name} belongs in the Secret"


def test_the_secret_template_holds_placeholders_only():
    secret = OBJECTS[("Secret", "pathways-secrets")]
    assert "data" not in secret  # base64 values could hide a real secret from review
    for key, value in secret["stringData"].items():
        assert "REPLACE_ME" in value, f"{key} must be a placeholder"


def test_every_pod_reads_the_config_and_secret_defined_here():
    for where, _, container in all_containers():
        refs = {("ConfigMap", e["configMapRef"]["name"]) if "configMapRef" in e else ("Secret", e["secretRef"]["name"])
                for e in container["envFrom"]}
        assert refs == {("ConfigMap", "pathways-config"), ("Secret", "pathways-secrets")}, where
        assert all(key in OBJECTS for key in refs)


def test_the_purge_cronjob_keeps_the_configured_retention():
    cronjob = OBJECTS[("CronJob", "pathways-purge")]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = pod_spec("CronJob", "pathways-purge")["containers"]
    command = container["command"]
    assert command[:3] == ["pathways", "purge", "--older-than"]
    retention = OBJECTS[("ConfigMap", "pathways-config")]["data"]["RETENTION_DAYS"]
    assert command[3] == f"{retention}d"
