"""The deployment files describe every process: Procfile, compose, Kubernetes (kustomize)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "receivables", "dunning", "messaging", "alarms", "webhooks", "portal")


def test_procfile_runs_every_service_its_worker_and_the_local_peers():
    names = {line.split(":", 1)[0] for line in (ROOT / "deploy/Procfile").read_text().splitlines() if line}
    assert names == {*SERVICES, *(f"{s}-worker" for s in SERVICES), "smtp", "provider", "receiver", "psp"}


def test_make_run_gives_the_portal_and_the_psp_stub_the_same_credentials():
    """The portal signs nothing the stub cannot check: both read the access token and the webhook secret from the
    environment deploy/env.sh sets."""
    env = (ROOT / "deploy/env.sh").read_text()
    assert "PORTAL_PORT=$((BASE + 8)) PSP_PORT=$((BASE + 9))" in env
    assert "export PORTAL_PSP_BASE_URL=http://127.0.0.1:$PSP_PORT" in env
    procfile = {
        name: command.strip()
        for name, _, command in (line.partition(":") for line in (ROOT / "deploy/Procfile").read_text().splitlines())
    }
    assert "--webhook-secret $PORTAL_PSP_WEBHOOK_SECRET --access-token $PORTAL_PSP_ACCESS_TOKEN" in procfile["psp"]
    assert "--port $PSP_PORT" in procfile["psp"]
    assert "--port $PORTAL_PORT" in procfile["portal"]
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())["services"]
    psp = compose["psp"]["environment"]
    assert psp["PORTAL_PSP_WEBHOOK_SECRET"] == compose["portal"]["environment"]["PORTAL_PSP_WEBHOOK_SECRET"]
    assert compose["portal"]["environment"]["PORTAL_PSP_BASE_URL"] == f"http://gateway:{psp['PORT']}"


def test_compose_has_the_stores_and_every_process():
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    assert {"postgres", "redis", "migrate", *SERVICES, *(f"{s}-worker" for s in SERVICES)} <= set(compose["services"])


def test_kubernetes_has_deployment_service_probes_and_autoscaler_per_service():
    kustomization = yaml.safe_load((ROOT / "deploy/k8s/kustomization.yaml").read_text())
    documents = [
        doc
        for resource in kustomization["resources"]
        for doc in yaml.safe_load_all((ROOT / "deploy/k8s" / resource).read_text())
    ]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    for service in SERVICES:
        assert {("Deployment", service), ("Service", service), ("HorizontalPodAutoscaler", service)} <= kinds
        assert {("Deployment", f"{service}-worker"), ("ScaledObject", f"{service}-worker")} <= kinds
    for doc in documents:
        if doc["kind"] == "Deployment" and not doc["metadata"]["name"].endswith("-worker"):
            container = doc["spec"]["template"]["spec"]["containers"][0]
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert {"configMapRef", "secretRef"} <= {k for ref in container["envFrom"] for k in ref}


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[0] == "```sh"
    assert lines[1].startswith("make run")
    assert lines[2].startswith("make test")
    assert lines[3] == "```"


def test_the_demo_credentials_go_to_a_file_only_its_owner_reads_and_are_never_printed(tmp_path, monkeypatch):
    """Issue 11: `make run` printed the demo API key and passwords into the log."""
    import inspect

    monkeypatch.syspath_prepend(str(ROOT / "deploy"))
    import seed_demo

    monkeypatch.setattr(seed_demo, "STATE", tmp_path / ".run" / "demo.env")
    seed_demo.write_state("cbz_secret")
    assert seed_demo.STATE.stat().st_mode & 0o777 == 0o600
    assert seed_demo.stored_key() == "cbz_secret"
    assert f"COBRANZA_DEMO_ADMIN_PASSWORD={seed_demo.ADMIN_PASSWORD}" in seed_demo.STATE.read_text()
    printed = inspect.getsource(seed_demo.main)
    assert "{key}" not in printed and "PASSWORD" not in printed
    seed_demo.write_state("cbz_secret", "http://127.0.0.1:8000/portal/tok")
    assert seed_demo.stored_key() == "cbz_secret"
    assert "COBRANZA_DEMO_PORTAL_LINK=http://127.0.0.1:8000/portal/tok" in seed_demo.STATE.read_text()


def test_make_runs_processes_keep_within_the_connection_budget(monkeypatch):
    """README, "Connection budget": the pools of every process `make run` starts, as deploy/env.sh configures
    them, leave PostgreSQL's default max_connections = 100 a reserve (its 3 superuser connections, a migration,
    psql)."""
    import importlib
    import inspect
    import re
    import subprocess

    from shared.settings import ServiceSettings

    exported = subprocess.run(
        ["bash", "-c", "source deploy/env.sh && env -0"], cwd=ROOT, env={}, capture_output=True, check=True
    ).stdout
    for entry in exported.decode().split("\0"):
        name, _, value = entry.partition("=")
        if name.startswith(("COBRANZA_", "PORTAL_", "GATEWAY_", "WEBHOOKS_", "MESSAGING_")):
            monkeypatch.setenv(name, value)
    total = 0
    for line in (ROOT / "deploy/Procfile").read_text().splitlines():
        found = re.search(r"--factory (\w+(?:\.\w+)*)\.main:create_app|worker_process (\w+(?:\.\w+)*)\.worker\.", line)
        if not found:
            continue  # a protocol peer: no database
        package = found.group(1) or found.group(2)
        module = importlib.import_module(f"{package}.settings")
        (settings_class,) = [
            c
            for c in vars(module).values()
            if inspect.isclass(c) and issubclass(c, ServiceSettings) and c.__module__ == module.__name__
        ]
        settings = settings_class()
        total += (
            settings.db_pool_size + settings.db_max_overflow + (settings.db_fast_pool_size if found.group(1) else 0)
        )
    assert total <= 100 - 5, total
