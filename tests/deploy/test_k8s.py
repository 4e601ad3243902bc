"""deploy/k8s: every kustomization rendered with `kubectl kustomize` and each object validated
offline against the Kubernetes schemas (kubernetes-validate, strict: an unknown field fails), then
the properties the run-book promises: probes, limits, non-root read-only containers, migrations as
Jobs, settings that the services read, the network edges of the documented table, alerts on
series that exist."""

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import PEER_KEY_SETTINGS
from deploy.run_local import CALLERS_OF, SERVICES, WITH_DATABASE
from services.settlement.app import create_app as settlement_app
from services.settlement.settings import SettlementSettings
from shared.auth import DEFAULT_AUDIENCES, Role
from tests.deploy.settings_env import unknown_variables, variables

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("staging", "production")
KUSTOMIZATIONS = [*OVERLAYS, *(f"{overlay}/migrations" for overlay in OVERLAYS)]
# The oldest Kubernetes the manifests support (the preStop `sleep` action is 1.30) and the newest
# kubernetes-validate knows.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
# Custom resources: their operators' CRD schemas are not vendored here, so these kinds are not
# schema-checked (their content is checked below: the alerts' series, the cluster's databases).
CUSTOM_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Database"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"), ("monitoring.coreos.com/v1", "PrometheusRule"),
}
# The series a family exposes (prometheus_client), by the family's type.
SERIES_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
PROMQL = {"histogram_quantile", "predict_linear"}  # functions, not series, in the alerts' expressions
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl (with its built-in kustomize) is not installed: deploy/k8s is not rendered "
    "here. Install kubectl 1.27 or newer to run these tests; CI's machines have it.")


@cache
def render(kustomization: str) -> tuple[dict, ...]:  # type: ignore[type-arg]
    assert KUBECTL is not None
    out = subprocess.run([KUBECTL, "kustomize", str(K8S / "overlays" / kustomization)],
                         check=True, capture_output=True, text=True).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def by_kind(objects: tuple[dict, ...], kind: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def schema_errors(objects: tuple[dict, ...] | list[dict]) -> list[str]:  # type: ignore[type-arg]
    errors = []
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
                errors.append(f"{obj['kind']}/{obj['metadata']['name']} ({version}): {error}")
    return errors


@needs_kubectl
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_is_valid_against_the_kubernetes_schemas(kustomization: str) -> None:
    objects = render(kustomization)
    assert objects
    assert schema_errors(objects) == []
    skipped = {(o["apiVersion"], o["kind"]) for o in objects} & CUSTOM_KINDS
    assert skipped == (set() if kustomization.endswith("migrations") else CUSTOM_KINDS)


def test_the_example_secrets_are_valid_and_name_only_settings_the_services_read() -> None:
    secrets = [d for d in yaml.safe_load_all((K8S / "examples" / "secrets.example.yaml").read_text()) if d]
    assert schema_errors(secrets) == []
    by_name = {s["metadata"]["name"]: s for s in secrets}
    for service in SERVICES:
        keys = set(by_name[f"{service}-secrets"]["stringData"])
        assert unknown_variables(service, keys) == set()
        assert f"{service.upper()}_JWT_PUBLIC_KEYS" in keys
    for service in WITH_DATABASE:
        assert f"{service.upper()}_DATABASE_URL" in by_name[f"{service}-secrets"]["stringData"]


@needs_kubectl
def test_the_validation_rejects_a_misspelt_field() -> None:
    deployment = yaml.safe_load(yaml.safe_dump(by_kind(render("production"), "Deployment")["settlement"]))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    assert schema_errors([deployment]) != []


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_runs_as_the_run_book_says(overlay: str) -> None:  # noqa: C901 (one checklist)
    objects = render(overlay)
    deployments, config_maps = servers(objects), by_kind(objects, "ConfigMap")
    pdbs, hpas, services = (by_kind(objects, k) for k in ("PodDisruptionBudget", "HorizontalPodAutoscaler", "Service"))
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        [container] = pod["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}", "serve", "--host", "0.0.0.0",
                                        "--port", "8000"]
        assert container["image"].startswith("registry.example.gov.cn/assistance/assistance-platform:")
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
        security = container["securityContext"]
        assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"] and security["runAsUser"] >= 1000
        assert not security["allowPrivilegeEscalation"] and security["capabilities"]["drop"] == ["ALL"]
        assert {v["name"]: v for v in pod["volumes"]}["tmp"]["emptyDir"]["medium"] == "Memory"
        assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns the replica count"

        settings_name = next(e["configMapRef"]["name"] for e in container["envFrom"] if "configMapRef" in e)
        secret_name = next(e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e)
        assert secret_name == f"{name}-secrets"
        settings = config_maps[settings_name]["data"]
        assert unknown_variables(name, set(settings)) == set()
        prefix = name.upper()
        # SIGTERM after the preStop pause; the requests in flight get the grace period; then the kill.
        grace = int(settings[f"{prefix}_SHUTDOWN_GRACE_SECONDS"])
        pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pause + grace < pod["terminationGracePeriodSeconds"]
        if name == "settlement":
            assert grace > int(settings["SETTLEMENT_SETTLEMENT_DEADLINE_SECONDS"])
        assert settings[f"{prefix}_METRICS_PORT"] == "9100" and settings[f"{prefix}_METRICS_HOST"] == "0.0.0.0"

        selector = pdbs[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert hpas[name]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 2 <= hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]
        assert pdbs[name]["spec"]["minAvailable"] < hpas[name]["spec"]["minReplicas"], "a node drain must proceed"
    for name in ("registry", "settlement"):  # the peers' addresses are the Services'
        settings = next(config_maps[c["configMapRef"]["name"]]["data"]
                        for c in deployments[name]["spec"]["template"]["spec"]["containers"][0]["envFrom"]
                        if "configMapRef" in c)
        for callee in CALLERS_OF:
            if name in CALLERS_OF[callee]:
                assert settings[f"{name.upper()}_{callee.upper()}_URL"] == f"http://{callee}"
    assert set(variables("settlement")) >= {"SETTLEMENT_SHUTDOWN_GRACE_SECONDS"}


def servers(objects: tuple[dict, ...]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {name: d for name, d in by_kind(objects, "Deployment").items() if not name.endswith("-worker")}


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_workers_run_beside_their_servers_with_the_broker_from_the_secret(overlay: str) -> None:
    objects = render(overlay)
    deployments, policies = by_kind(objects, "Deployment"), by_kind(objects, "NetworkPolicy")
    workers = {name.removesuffix("-worker"): d for name, d in deployments.items() if name.endswith("-worker")}
    assert set(workers) == {"registry", "settlement"}  # the services with a change feed (assistance, catalog: none)
    documented = documented_worker_edges()
    for name, worker in workers.items():
        pod = worker["spec"]["template"]["spec"]
        [container] = pod["containers"]
        [server_container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}", "worker"]
        assert container["image"] == server_container["image"]
        # The same settings and Secret as the server: the broker URL is the Secret's, the server shows the lag.
        assert container["envFrom"] == server_container["envFrom"]
        assert f"{name.upper()}_BROKER_URL" in variables(name)
        assert worker["spec"]["replicas"] == 2, "two replicas are safe (cursors moved by compare-and-set)"
        assert worker["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"
        assert "ports" not in container and container["securityContext"]["readOnlyRootFilesystem"]
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        policy = policies[f"{name}-worker"]["spec"]
        assert policy["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in policy
        egress = set()
        for rule in policy["egress"]:
            [port] = [p["port"] for p in rule["ports"]]
            for peer in rule["to"]:
                egress.add(f"{peer['podSelector']['matchLabels']['app.kubernetes.io/name']}:{port}")
        assert egress == documented[name], name
    # registry admits settlement's worker on its service port (the feed).
    [admitted] = [rule for rule in policies["registry-ingress"]["spec"]["ingress"] if rule["ports"][0]["port"] == 8000]
    assert {"app.kubernetes.io/name": "settlement", "app.kubernetes.io/component": "worker"} in [
        peer["podSelector"]["matchLabels"] for peer in admitted["from"] if "podSelector" in peer]


def documented_worker_edges() -> dict[str, set[str]]:
    """docs/runbook.md "Network": the workers' table (what each worker may reach, name:port)."""
    section = (ROOT / "docs" / "runbook.md").read_text().split("### Network", 1)[1].split("\n#", 1)[0]
    return {worker: set(re.findall(r"`([\w-]+:\d+)`", edges))
            for worker, edges in re.findall(r"^\| (\w+) worker \| ([^|]+) \|$", section, re.MULTILINE)}


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_are_jobs_of_their_own_and_no_server_migrates(overlay: str) -> None:
    jobs = by_kind(render(f"{overlay}/migrations"), "Job")
    assert set(jobs) == {f"{s}-migrate" for s in WITH_DATABASE}
    app_image = next(iter(servers(render(overlay)).values()))["spec"]["template"]["spec"][
        "containers"][0]["image"]
    for service in WITH_DATABASE:
        [container] = jobs[f"{service}-migrate"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"services.{service}", "migrate"]
        assert container["image"] == app_image, "migrations and services of one release share the image"
        assert container["securityContext"]["readOnlyRootFilesystem"]
    assert not [o for o in render(overlay) if o["kind"] == "Job"]


def network_edges(objects: tuple[dict, ...]) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[str]]:  # type: ignore[type-arg]
    """(ingress edges on the service port, egress edges between services, who scrapes metrics)
    read from the NetworkPolicies: a caller is a gateway namespace or a service's pods."""

    def caller(peer: dict) -> str:  # type: ignore[type-arg]
        if "namespaceSelector" in peer:
            namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            return {"gateway-his": "his", "gateway-agency": "agency", "gateway-ops": "ops",
                    "monitoring": "prometheus"}[namespace]
        return peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]

    ingress, egress, scrapers = set(), set(), set()
    for policy in by_kind(objects, "NetworkPolicy").values():
        spec = policy["spec"]
        target = spec["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        for rule in spec.get("ingress", []):
            ports = {p["port"] for p in rule["ports"]}
            for peer in rule["from"]:
                if ports == {8000}:
                    ingress.add((caller(peer), target))
                else:
                    assert ports == {9100} and caller(peer) == "prometheus", policy["metadata"]["name"]
                    scrapers.add(target)
        for rule in spec.get("egress", []):
            if {p["port"] for p in rule["ports"]} == {8000}:
                egress.update((target, caller(peer)) for peer in rule["to"])
    return ingress, egress, scrapers


def documented_edges() -> set[tuple[str, str]]:
    """docs/runbook.md "Network": the table of who calls whom."""
    text = (ROOT / "docs" / "runbook.md").read_text()
    section = text.split("### Network", 1)[1].split("\n#", 1)[0]
    edges = set()
    for row in re.findall(r"^\| `(\w+)`[^|]*\| ([^|]+) \|$", section, re.MULTILINE):
        caller, callees = row
        edges.update((caller, callee.strip()) for callee in callees.split(","))
    return edges


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_allow_exactly_the_documented_calls(overlay: str) -> None:
    ingress, egress, scrapers = network_edges(render(overlay))
    documented = documented_edges()
    assert ingress == {edge for edge in documented if edge[0] != "prometheus"}
    assert scrapers == set(SERVICES) == {callee for caller, callee in documented if caller == "prometheus"}
    # Both ends agree: a service may send exactly what its callee admits from it.
    assert egress == {(caller, callee) for caller, callee in ingress if caller in SERVICES}
    # And the table is what the tokens allow: the audiences people's tokens name, and the peers
    # that sign service tokens (deploy/run_local.CALLERS_OF).
    by_tokens = {(role.value, service.value) for role in (Role.HIS, Role.AGENCY, Role.OPS)
                 for service in DEFAULT_AUDIENCES[role]}
    by_tokens |= {(caller, callee) for callee, callers in CALLERS_OF.items() for caller in callers}
    assert ingress == by_tokens
    default_deny = by_kind(render(overlay), "NetworkPolicy")["default-deny"]["spec"]
    assert default_deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in default_deny


@needs_kubectl
def test_the_alerts_use_series_the_services_export_and_each_has_a_run_book_entry() -> None:
    [rule] = by_kind(render("production"), "PrometheusRule").values()
    # Settlement as deployed with a broker exports every family the alerts use (registry's outbox
    # gauge is the same family).
    app = settlement_app(SettlementSettings(**PEER_KEY_SETTINGS, broker_url="amqp://broker:5672/"))
    exported = set()
    for family in app.state.metrics.registry.collect():
        exported |= {f"{family.name}{suffix}" for suffix in SERIES_SUFFIXES[family.type]}
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    alerts = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    assert {a["alert"] for a in alerts} >= {"ServiceUnavailableRate", "SettlementLatencyP99High", "OutboxLagging",
                                           "FeedConsumerLagging", "FundOverdrawn", "ClaimsPastDue"}
    for alert in alerts:
        expression = re.sub(r'"[^"]*"', "", alert["expr"])  # label values are not series
        series = set(re.findall(r"\b([a-z]+_[a-z_]+)\b(?=\s*[{\[)])", expression)) - PROMQL
        assert series and series <= exported, (alert["alert"], series)
        assert alert["labels"]["severity"] in ("warning", "critical")
        anchor = alert["annotations"]["runbook_url"].split("#")[1]
        assert f"#### {alert['alert']}" in runbook and anchor == alert["alert"].lower()


@needs_kubectl
def test_the_example_postgresql_holds_one_database_per_service() -> None:
    objects = render("production")
    [cluster] = by_kind(objects, "Cluster").values()
    databases = {cluster["spec"]["bootstrap"]["initdb"]["database"]}
    databases |= {d["spec"]["name"] for d in by_kind(objects, "Database").values()}
    assert databases == set(WITH_DATABASE)
    assert cluster["spec"]["instances"] == 3
