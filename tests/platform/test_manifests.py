"""Deployable as shipped (issue 16): the Kubernetes manifests validate against the API's schemas, hold the pods to
the security and resource rules, and every process starts with exactly the environment they give it in production.

The kustomization is rendered here in Python (there is no kubectl on CI): its resources, namespace, images and
replacements, which is all ours uses. Where kubectl is installed, its rendering is compared with ours.
"""

import asyncio
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from redis.asyncio import Redis

from shared.outbox import queue_name
from shared.settings import PLACEHOLDER_MARK
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("gateway", "receivables", "dunning", "messaging", "alarms", "webhooks", "portal")
CLUSTER_SCOPED = {"Namespace"}
POD_TMP = "/tmp/"  # noqa: S108 - the pods' emptyDir, not this machine's temporary directory
KUBERNETES_VERSION = "1.31.0"  # the oldest minor release still maintained upstream when this was written


# --- rendering -----------------------------------------------------------------------------------------------------


def _walk(document: Any, path: str) -> list[tuple[Any, str | int]]:
    """(parent, key) pairs a kustomize field path names: dotted keys, list indices, ``[name=x]`` selectors."""
    parts = re.findall(r"\[[^\]]*\]|[^.]+", path)
    nodes: list[Any] = [document]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        found: list[tuple[Any, str | int]] = []
        for node in nodes:
            if part.startswith("[") and "=" in part:
                key, value = part[1:-1].split("=", 1)
                found += [(node, j) for j, item in enumerate(node) if item.get(key) == value]
            elif isinstance(node, list):
                found.append((node, int(part)))
            else:
                found.append((node, part))
        if last:
            return found
        nodes = [parent[key] for parent, key in found]
    return []


def _selected(document: dict[str, Any], select: dict[str, str]) -> bool:
    return all(document.get(k) == v or document["metadata"].get(k) == v for k, v in select.items())


def render(directory: Path = K8S) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    documents = [
        document
        for resource in kustomization["resources"]
        for document in yaml.safe_load_all((directory / resource).read_text())
        if document
    ]
    for document in documents:
        if document["kind"] not in CLUSTER_SCOPED and "namespace" in kustomization:
            document["metadata"]["namespace"] = kustomization["namespace"]
    images = {image["name"]: image for image in kustomization.get("images", [])}
    for document in documents:
        pod = pod_spec(document)
        for container in (pod or {}).get("containers", []):
            name = container["image"].split(":")[0]
            if name in images:
                image = images[name]
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', 'latest')}"
    for replacement in kustomization.get("replacements", []):
        source = replacement["source"]
        (origin,) = [d for d in documents if _selected(d, {"kind": source["kind"], "name": source["name"]})]
        ((parent, key),) = _walk(origin, source["fieldPath"])
        value = parent[key]
        if "options" in source:
            value = value.split(source["options"]["delimiter"])[source["options"]["index"]]
        for target in replacement["targets"]:
            for document in [d for d in documents if _selected(d, target["select"])]:
                for field_path in target["fieldPaths"]:
                    for parent, key in _walk(document, field_path):
                        options = target.get("options")
                        if options:
                            pieces = parent[key].split(options["delimiter"])
                            pieces[options["index"]] = value
                            parent[key] = options["delimiter"].join(pieces)
                        else:
                            parent[key] = value
    return documents


def pod_spec(document: dict[str, Any]) -> dict[str, Any] | None:
    if document["kind"] in {"Deployment", "Job"}:
        return document["spec"]["template"]["spec"]
    return None


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return render()


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


# --- the manifests -------------------------------------------------------------------------------------------------


def test_every_manifest_validates_against_the_kubernetes_schemas(manifests):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    checked = 0
    for document in manifests:
        if document["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: no schema ships with Kubernetes (test_workers_scale_on_their_arq_queue holds it)
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked == len(manifests) - len(by_kind(manifests, "ScaledObject"))

    broken = {**by_kind(manifests, "Deployment")["gateway"], "spec": {"replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_our_rendering_is_kustomizes():
    rendered = subprocess.run(["kubectl", "kustomize", str(K8S)], check=True, capture_output=True, text=True).stdout
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    assert sorted(render(), key=key) == sorted((d for d in yaml.safe_load_all(rendered) if d), key=key)


def test_the_migration_job_is_in_the_kustomization_and_named_per_release(tmp_path):
    shutil.copytree(K8S, tmp_path / "k8s")
    kustomization = tmp_path / "k8s" / "kustomization.yaml"
    release = yaml.safe_load(kustomization.read_text())
    release["images"] = [{"name": "cobranza", "newName": "registry.example.com/cobranza", "newTag": "1.4.0"}]
    kustomization.write_text(yaml.safe_dump(release))

    (job,) = by_kind(render(tmp_path / "k8s"), "Job").values()
    assert job["metadata"]["name"] == "cobranza-migrate-1.4.0"
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/cobranza:1.4.0"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_every_pod_runs_as_a_numeric_non_root_user_read_only_without_privileges(manifests):
    pods = {d["metadata"]["name"]: pod_spec(d) for d in manifests if pod_spec(d) is not None}
    assert len(pods) == 2 * len(SERVICES) + 1
    for name, pod in pods.items():
        assert pod["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        }, name
        assert pod["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in pod["containers"]:
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }, name
            (tmp,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == POD_TMP.rstrip("/")]
            assert "emptyDir" in volumes[tmp["name"]], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert {"configMapRef", "secretRef"} <= {key for ref in container["envFrom"] for key in ref}, name


def test_resources_are_set_per_process_kind(manifests):
    kinds: dict[str, set[str]] = {}
    for name, deployment in by_kind(manifests, "Deployment").items():
        kind = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        assert kind == ("worker" if name.endswith("-worker") else "app")
        resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
        kinds.setdefault(kind, set()).add(yaml.safe_dump(resources))
    assert {kind: len(resources) for kind, resources in kinds.items()} == {"app": 1, "worker": 1}


def test_every_deployment_has_a_disruption_budget(manifests):
    budgets = by_kind(manifests, "PodDisruptionBudget")
    for name, deployment in by_kind(manifests, "Deployment").items():
        budget = budgets[name]
        assert budget["spec"]["selector"] == deployment["spec"]["selector"]
        assert budget["spec"]["maxUnavailable"] == 1  # a single replica can still be drained


def test_only_the_gateway_is_reached_from_outside_the_namespace(manifests):
    policies = by_kind(manifests, "NetworkPolicy")
    deployments = by_kind(manifests, "Deployment")

    def labels(name: str) -> dict[str, str]:
        return deployments[name]["spec"]["template"]["metadata"]["labels"]

    def selects(policy: dict[str, Any], name: str) -> bool:
        wanted = policy["spec"]["podSelector"].get("matchLabels", {})
        return all(labels(name).get(k) == v for k, v in wanted.items())

    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies.values())
    for name in deployments:
        rules = [rule for p in policies.values() if selects(p, name) for rule in p["spec"].get("ingress", [])]
        open_to_all = [rule for rule in rules if "from" not in rule]
        assert bool(open_to_all) == (name == "gateway"), name
        if name.endswith("-worker"):
            assert rules == [], name
        for rule in rules:
            for peer in rule.get("from", []):
                in_namespace = peer.get("podSelector", {}).get("matchLabels") == {
                    "app.kubernetes.io/part-of": "cobranza"
                }
                monitoring = "namespaceSelector" in peer and "podSelector" not in peer
                assert in_namespace or monitoring, (name, peer)


def test_workers_have_a_liveness_probe_of_their_own_pod(manifests):
    for service in SERVICES:
        container = by_kind(manifests, "Deployment")[f"{service}-worker"]["spec"]["template"]["spec"]["containers"][0]
        heartbeat = {e["name"]: e["value"] for e in container["env"]}["COBRANZA_WORKER_HEARTBEAT_FILE"]
        assert heartbeat.startswith(POD_TMP)
        command = container["livenessProbe"]["exec"]["command"]
        assert heartbeat in command[-1]
        assert "arq" not in command  # arq --check reads one key per queue: any replica keeps it fresh


def test_workers_scale_on_their_arq_queue(manifests):
    scaled = by_kind(manifests, "ScaledObject")
    autoscalers = by_kind(manifests, "HorizontalPodAutoscaler")
    for service in SERVICES:
        worker = f"{service}-worker"
        spec = scaled[worker]["spec"]
        assert scaled[worker]["apiVersion"] == "keda.sh/v1alpha1"
        assert spec["scaleTargetRef"] == {"name": worker}
        assert spec["minReplicaCount"] >= 1  # the worker also relays the outbox and runs the cron jobs
        assert spec["maxReplicaCount"] > spec["minReplicaCount"]
        (redis,) = [t for t in spec["triggers"] if t["type"] == "redis"]
        assert redis["metadata"]["listName"] == queue_name(service)
        assert int(redis["metadata"]["listLength"]) > 0
        assert re.fullmatch(r"[\w.-]+:\d+", redis["metadata"]["address"])
        assert worker not in autoscalers  # KEDA owns the worker's HorizontalPodAutoscaler
        assert service in autoscalers


def test_the_shipped_secret_has_placeholders_the_processes_refuse(manifests):
    from api_gateway.settings import GatewaySettings

    secret = by_kind(manifests, "Secret")["cobranza-secrets"]["stringData"]
    config = by_kind(manifests, "ConfigMap")["cobranza-config"]["data"]
    assert config["COBRANZA_ENVIRONMENT"] == "production"
    assert all(PLACEHOLDER_MARK in value.lower() for key, value in secret.items() if key != "COBRANZA_REDIS_URL")
    with pytest.raises(ValueError, match=r"placeholder value of .*internal_secret.*jwt_secret"):
        GatewaySettings(
            environment="production",
            internal_secret=secret["COBRANZA_INTERNAL_SECRET"],
            jwt_secret=secret["GATEWAY_JWT_SECRET"],
            operator_token="a-real-token",
        )


def test_the_portal_keeps_receipts_in_a_bucket_and_refuses_the_development_psp_credentials(manifests):
    """Issue 17: a receipt a debtor uploads outlives the pod (an emptyDir is not storage), and the shipped
    provider credentials are placeholders a production process refuses."""
    from services.portal.settings import PortalSettings

    secret = by_kind(manifests, "Secret")["cobranza-secrets"]["stringData"]
    config = by_kind(manifests, "ConfigMap")["cobranza-config"]["data"]
    portal = {k.removeprefix("PORTAL_").lower(): v for k, v in {**config, **secret}.items() if k.startswith("PORTAL_")}
    real = {k: secrets.token_urlsafe(16) if PLACEHOLDER_MARK in v.lower() else v for k, v in portal.items()}
    settings = PortalSettings(environment="production", internal_secret="a-real-secret", **real)
    assert settings.storage_s3_bucket and settings.storage_s3_access_key and settings.storage_s3_secret_key
    assert settings.storage_s3_endpoint and settings.storage_s3_endpoint.startswith("https://")
    assert settings.psp_base_url.startswith("https://") and settings.public_base().startswith("https://")
    pod = by_kind(manifests, "Deployment")["portal"]["spec"]["template"]["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]  # nothing kept on the pod's disk
    with pytest.raises(ValueError, match=r"placeholder value of .*psp_access_token.*psp_webhook_secret"):
        PortalSettings(environment="production", internal_secret="a-real-secret", **portal)


def test_the_portal_goes_out_only_to_the_namespace_the_stores_dns_and_https(manifests):
    policy = by_kind(manifests, "NetworkPolicy")["portal-egress"]["spec"]
    (selector,) = policy["podSelector"]["matchExpressions"]
    assert selector["key"] == "app.kubernetes.io/name" and set(selector["values"]) == {"portal", "portal-worker"}
    assert policy["policyTypes"] == ["Egress"]
    ports = set()
    for rule in policy["egress"]:
        assert rule["ports"], rule  # no rule lets every port out
        for peer in rule.get("to", []):
            assert peer == {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "cobranza"}}}
        ports |= {(p["port"], p["protocol"], "to" in rule) for p in rule["ports"]}
    assert ports == {
        (8000, "TCP", True),
        (53, "UDP", False),
        (53, "TCP", False),
        (5432, "TCP", False),
        (6379, "TCP", False),
        (443, "TCP", False),
    }


# --- the image -----------------------------------------------------------------------------------------------------


def test_the_image_runs_as_a_numeric_user_from_a_pinned_base_with_a_dependency_layer():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and all(re.fullmatch(r"10001:10001", user) for user in users)
    assert dockerfile.rstrip().splitlines()[-1] == "USER 10001:10001"  # the default target is the runtime image
    assert dockerfile.index("COPY requirements.lock") < dockerfile.index("RUN pip install -r requirements.lock")
    assert dockerfile.index("RUN pip install -r requirements.lock") < dockerfile.index("COPY services")
    stubs = "messaging_service/stubs services/webhooks/stubs services/portal/stubs"
    assert f"rm -rf {stubs} && pip install --no-deps ." in dockerfile


def test_the_docker_context_leaves_out_the_developers_things():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".run", "tests", "bench", ".pytest_cache", ".ruff_cache", "**/__pycache__"} <= ignored
    assert "services/webhooks/stubs" in ignored


def test_the_lock_pins_every_runtime_dependency_within_pyproject():
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import lock
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[canonicalize_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in map(Requirement, project["dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in pinned, requirement
        assert requirement.specifier.contains(pinned[name], prereleases=True), (requirement, pinned[name])
    assert set(lock.closure(lock.runtime_requirements())) <= set(pinned)  # what they need too
    development_only = {"aiosmtpd", "honcho", "pytest", "kubernetes-validate"}
    assert not development_only & set(pinned)


# --- every process starts in production with the manifests' environment ------------------------------------------


def entrypoint_roles() -> list[str]:
    roles = re.findall(r"^\s+([a-z-]+)\)\s", (ROOT / "deploy" / "entrypoint.sh").read_text(), re.M)
    return [role for role in roles if role not in {"smtp", "provider", "psp"}]  # the peers image only


def production_environment(manifests, container: dict[str, Any], tmp: Path) -> dict[str, str]:
    """The container's environment as the manifests give it, the placeholders replaced as an operator would, the
    stores pointed at the test's PostgreSQL and Redis, /tmp at the test's own directory."""
    secret = by_kind(manifests, "Secret")["cobranza-secrets"]["stringData"]
    config = by_kind(manifests, "ConfigMap")["cobranza-config"]["data"]
    env = {**config, **{k: secrets.token_urlsafe(32) for k in secret}}
    env["COBRANZA_DATABASE_URL"] = os.environ["COBRANZA_DATABASE_URL"]
    env["COBRANZA_REDIS_URL"] = os.environ["COBRANZA_REDIS_URL"]
    env.update({e["name"]: e["value"].replace(POD_TMP, f"{tmp}/") for e in container.get("env", [])})
    assert set(env) >= set(secret)
    return {
        **env,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),  # this checkout's code, as the image's installed package
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "PORT": str(free_port()),
    }


class Process:
    def __init__(self, role: str, env: dict[str, str], log: Path) -> None:
        self.role = role
        self.env = env
        self.log = log
        self.process = subprocess.Popen(
            ["sh", str(ROOT / "deploy" / "entrypoint.sh"), role],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def exists(path: str) -> bool:
    return Path(path).exists()


async def started(process: Process, redis: Redis, tries: int = 600) -> bool:
    """An app answers /readyz (its database and Redis reached); a worker recorded arq's health in Redis and touched
    its heartbeat file; the migration ended with 0. At most ``tries`` looks, 0.1 s apart."""
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(tries):
            if process.role == "migrate":
                if process.process.poll() is not None:
                    return process.process.returncode == 0
            elif process.process.poll() is not None:
                return False
            elif process.role.endswith("-worker"):
                service = process.role.removesuffix("-worker")
                if exists(process.env["COBRANZA_WORKER_HEARTBEAT_FILE"]) and await redis.exists(
                    f"{queue_name(service)}:health-check"
                ):
                    return True
            else:
                try:
                    response = await client.get(f"http://127.0.0.1:{process.env['PORT']}/readyz")
                    if response.status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
            await asyncio.sleep(0.1)
    return False


async def test_every_process_starts_in_production_with_the_manifests_environment(manifests, stack, tmp_path):
    deployments = by_kind(manifests, "Deployment")
    (job,) = by_kind(manifests, "Job").values()
    roles = entrypoint_roles()
    assert set(roles) == {*deployments, "migrate"}
    processes = []
    for role in roles:
        pod = job if role == "migrate" else deployments[role]
        (container,) = pod["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [role]
        directory = tmp_path / role
        directory.mkdir()
        env = production_environment(manifests, container, directory)
        processes.append(Process(role, env, tmp_path / f"{role}.log"))
    try:
        results = await asyncio.gather(*(started(process, stack.redis) for process in processes))
        failed = {p.role: p.output() for p, ok in zip(processes, results, strict=True) if not ok}
        assert not failed, failed
    finally:
        for process in processes:
            process.stop()
        await stack.redis.flushdb()


async def test_a_process_refuses_to_start_with_the_shipped_placeholders(manifests, tmp_path):
    secret = by_kind(manifests, "Secret")["cobranza-secrets"]["stringData"]
    for role in ("messaging", "messaging-worker"):
        (container,) = by_kind(manifests, "Deployment")[role]["spec"]["template"]["spec"]["containers"]
        env = {**production_environment(manifests, container, tmp_path), **secret}
        env["COBRANZA_REDIS_URL"] = os.environ["COBRANZA_REDIS_URL"]
        process = Process(role, env, tmp_path / f"{role}.log")
        try:
            assert process.process.wait(timeout=120) != 0
        finally:
            process.stop()
        assert "placeholder value of" in process.output()
