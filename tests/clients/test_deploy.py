"""The deployment files in deploy/, checked as their tools check them, and against the
server itself:

- the Dockerfile passes hadolint; its HEALTHCHECK and the compose file's run `horreo health`;
- the compose file is valid against the Compose specification's schema;
- the systemd unit passes `systemd-analyze verify` (with the built binary's path);
- the Kubernetes manifests are valid against the Kubernetes schemas (strict), and their
  probes and ServiceMonitor name paths the admin listener really serves (200);
- every metric the Grafana dashboard queries is one the server exports;
- `horreo health` exits 0 against a ready server and non-zero when none listens.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import _free_port
from test_startup import own_server

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VENV_BIN = Path(sys.executable).parent
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


def tool(name: str) -> str:
    """A checker installed into the virtualenv by tests/run-all.sh, or on PATH."""
    path = VENV_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (tests/run-all.sh installs it)", pytrace=False)
    return found


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_dockerfile_passes_hadolint():
    result = run(tool("hadolint"), str(DEPLOY / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_container_health_checks_run_horreo_health():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r'HEALTHCHECK .*\n?.*CMD \["/usr/local/bin/horreo", "health"\]', dockerfile)
    assert re.search(r"^USER 10001$", dockerfile, re.M), "the image runs as a non-root user"
    assert "VOLUME /var/lib/horreo" in dockerfile
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    service = compose["services"]["horreo"]
    assert service["healthcheck"]["test"] == ["CMD", "/usr/local/bin/horreo", "health"]
    assert "horreo_master_key" in service["secrets"]


def test_compose_file_matches_the_compose_specification():
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_systemd_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (tests/run-all.sh installs systemd)", pytrace=False)
    unit = (DEPLOY / "horreo.service").read_text()
    for setting in ("ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=horreo"):
        assert setting in unit, setting
    # verify checks that ExecStart names an executable: the one just built.
    (tmp_path / "horreo.service").write_text(unit.replace("/usr/local/bin/horreo", os.environ["HORREO_BIN"]))
    result = run(analyze, "verify", str(tmp_path / "horreo.service"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_manifests_are_valid():
    assert {p.name for p in MANIFESTS} >= {"statefulset.yaml", "service.yaml", "secret.yaml", "servicemonitor.yaml"}
    standard = [str(p) for p in MANIFESTS if p.name != "servicemonitor.yaml"]
    result = run(tool("kubernetes-validate"), "--strict", *standard)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout + result.stderr


def documents() -> dict[str, dict]:
    return {doc["kind"]: doc for p in MANIFESTS for doc in yaml.safe_load_all(p.read_text()) if doc}


def test_kubernetes_probes_and_service_monitor_name_what_the_server_serves():
    docs = documents()
    statefulset, service, monitor = docs["StatefulSet"], docs["Service"], docs["ServiceMonitor"]
    assert statefulset["spec"]["volumeClaimTemplates"], "data on a PersistentVolumeClaim"
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    admin_port = ports["admin"]
    env = {e["name"]: e for e in container["env"]}
    assert env["HORREO_ADMIN_ADDRESS"]["value"].endswith(f":{admin_port}")
    assert env["HORREO_ROOT_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == docs["Secret"]["metadata"]["name"]
    paths = [container[probe]["httpGet"]["path"] for probe in ("livenessProbe", "readinessProbe", "startupProbe")]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "admin"
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    paths.append(endpoint["path"])
    port = _free_port()
    with own_server(["--admin-address", f"127.0.0.1:{port}"]):
        for path in paths:
            status, body = get(port, path)
            assert status == 200, f"{path}: {status} {body}"


def test_grafana_dashboard_queries_only_exported_metrics(s3, horreo_server, bucket):
    dashboard = json.loads((DEPLOY / "grafana" / "horreo.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    exprs += [dashboard["templating"]["list"][1]["query"]["query"]]
    queried = {name for e in exprs for name in re.findall(r"\b((?:horreo|process)_[a-z0-9_]+)\b", e)}
    assert len(queried) > 20, queried
    # Traffic that makes every labelled series appear: bytes both ways, an error.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x" * 100)
    s3.get_object(Bucket=bucket, Key="k")["Body"].read()
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="missing")
    port = int(horreo_server.endpoint.rsplit(":", 1)[1])
    status, text = get(port, "/_horreo/metrics")
    assert status == 200
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    missing = sorted(queried - exported)
    assert not missing, f"the dashboard queries metrics the server does not export: {missing}"


def test_horreo_health_command():
    binary = os.environ["HORREO_BIN"]
    port = _free_port()
    with own_server(["--admin-address", f"127.0.0.1:{port}"]) as (main_port, _):
        for url in (
            f"http://127.0.0.1:{port}/health/ready",
            f"http://127.0.0.1:{main_port}/_horreo/health/ready",
            f"http://127.0.0.1:{main_port}/_horreo/health/live",
        ):
            result = run(binary, "health", "--url", url)
            assert result.returncode == 0, url + result.stderr
        result = run(binary, "health", "--url", f"http://127.0.0.1:{port}/nothing")
        assert result.returncode == 1
    nobody = _free_port()
    result = run(binary, "health", "--url", f"http://127.0.0.1:{nobody}/health/ready")
    assert result.returncode != 0
    assert "connecting" in result.stderr
