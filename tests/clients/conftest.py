"""Fixtures: the real `horreo` binary, and real S3 clients pointed at it.

The server under test is the binary named by $HORREO_BIN (tests/run-all.sh sets it to the
release build). One server runs for the whole session, on a free loopback port, with a
fresh temporary data directory and random root credentials. Each test gets its own bucket.

With HORREO_TOPOLOGY=rados3 the session's server is instead three gateways on the RADOS
backend, sharing one throwaway Ceph cluster (tests/ceph/cluster.sh), root credentials and
master key, behind haproxy round-robin per request (tests/ceph/balancer.sh): clients see
only the balancer. Tests that restart the server or read its data directory do not apply
there; tests/run-all.sh names the files it runs that way.

Clients are configured the way a user would configure them, and nothing more:
- `s3`: a boto3 client with default settings but for endpoint, credentials and region;
- `aws`: the AWS CLI from the same virtualenv, run as a subprocess;
- `rclone`: rclone with an `s3` remote of provider `Other`.
The environment is made hermetic: no AWS_* or RCLONE_* variable and no ~/.aws file of the
machine can change what the clients send.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from horreo_helpers import RawS3

REGION = "us-east-1"
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
LOG_ATTACH_CHARS = 20_000

TOPOLOGY = os.environ.get("HORREO_TOPOLOGY", "single")
# test_balancer.py checks the rados3 topology itself: it is collected only there.
collect_ignore = [] if TOPOLOGY == "rados3" else ["test_balancer.py"]
CEPH_SCRIPTS = Path(__file__).resolve().parent.parent / "ceph"

_SERVER: "HorreoServer | BalancedGateways | None" = None
_LOG_OFFSET = pytest.StashKey[object]()
_HERMETIC_DIR: tempfile.TemporaryDirectory | None = None


# ---------------------------------------------------------------------------------------
# Hermetic client environment


def pytest_configure(config):
    """Keep the machine's AWS configuration out of every client this suite runs."""
    global _HERMETIC_DIR
    for name in list(os.environ):
        if name.startswith("AWS_") or name.startswith("RCLONE_"):
            del os.environ[name]
    _HERMETIC_DIR = tempfile.TemporaryDirectory(prefix="horreo-clients-env-")
    empty = Path(_HERMETIC_DIR.name) / "empty-aws-config"
    empty.write_text("")
    os.environ["AWS_CONFIG_FILE"] = str(empty)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(empty)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    # Loopback traffic must never go through a proxy.
    for name in ("NO_PROXY", "no_proxy"):
        existing = os.environ.get(name, "")
        os.environ[name] = ",".join(filter(None, [existing, "127.0.0.1", "localhost"]))


def pytest_report_header(config):
    import botocore

    versions = [f"boto3 {boto3.__version__}", f"botocore {botocore.__version__}"]
    try:
        from importlib.metadata import version

        versions.append(f"awscli {version('awscli')}")
    except Exception:  # noqa: BLE001 - only informative
        versions.append("awscli not installed")
    rclone = shutil.which("rclone")
    if rclone:
        try:
            first = subprocess.run([rclone, "version"], capture_output=True, text=True, timeout=30).stdout
            versions.append(first.splitlines()[0] if first else "rclone ?")
        except (OSError, subprocess.SubprocessError):
            versions.append("rclone not runnable")
    else:
        versions.append("rclone not installed")
    return [f"horreo under test: HORREO_BIN={os.environ.get('HORREO_BIN', '(unset)')}", "clients: " + ", ".join(versions)]


def pytest_unconfigure(config):
    if _HERMETIC_DIR is not None:
        _HERMETIC_DIR.cleanup()


# ---------------------------------------------------------------------------------------
# The server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _random_access_key() -> str:
    return "HORREO" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def _random_secret_key() -> str:
    # Same alphabet as AWS secret keys, '/' and '+' included.
    alphabet = string.ascii_letters + string.digits + "/+"
    return "".join(secrets.choice(alphabet) for _ in range(40))


def _die_with_parent():
    """Runs in the child before exec: if pytest dies, the kernel sends the server SIGTERM."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class HorreoServer:
    """A running `horreo serve` and what a client needs to reach it."""

    binary: str
    data_dir: str
    log_path: Path
    host: str = "127.0.0.1"
    port: int = 0
    region: str = REGION
    access_key: str = ""
    secret_key: str = ""
    # Kept across restarts, and shared by gateways on one RADOS pool (SSE keys are sealed with it).
    master_key: str = ""
    process: subprocess.Popen | None = None
    # More `horreo serve` arguments; "{free_port}" in one becomes a free loopback port.
    extra_args: tuple = ()
    ports: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def raw(self) -> RawS3:
        return RawS3(self.host, self.port, self.access_key, self.secret_key, self.region)

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int, limit: int = LOG_ATTACH_CHARS) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(cannot read server log {self.log_path}: {exc})"
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        return text

    def start(self) -> None:
        """Start the binary and wait until it answers HTTP; pytest.fail with its log if not."""
        if not Path(self.binary).is_file() or not os.access(self.binary, os.X_OK):
            pytest.fail(f"HORREO_BIN={self.binary} is not an executable file", pytrace=False)
        # A restart keeps the root's keys: clients (and peers) made before still sign.
        self.access_key = self.access_key or _random_access_key()
        self.secret_key = self.secret_key or _random_secret_key()
        self.master_key = self.master_key or secrets.token_hex(32)
        # The developer's own HORREO_* settings (config file, data dir, ...) stay out; HORREO_LOG
        # (log filter) is kept so that a failing run can be made verbose.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HORREO_") or k == "HORREO_LOG"}
        env["HORREO_ROOT_ACCESS_KEY"] = self.access_key
        env["HORREO_ROOT_SECRET_KEY"] = self.secret_key
        # The master key goes in the environment, so none is generated beside the data dir.
        env["HORREO_MASTER_KEY"] = self.master_key
        # Test machines' disks are often nearly full: no free-space reserve here
        # (tests/tests/reserve.rs tests it).
        env["HORREO_RESERVE"] = "0"
        env.setdefault("RUST_BACKTRACE", "1")
        env.setdefault("NO_COLOR", "1")  # the log is attached to failure reports as plain text
        last_error = ""
        for attempt in range(3):
            # A restart keeps its port too, unless another process took it.
            if attempt > 0 or not self.port:
                self.port = _free_port()
            command = [
                self.binary,
                "serve",
                "--data-dir",
                self.data_dir,
                "--address",
                f"{self.host}:{self.port}",
                "--region",
                self.region,
                *self._extra_args(),
            ]
            offset = self.log_size()
            with open(self.log_path, "ab") as log:
                log.write(f"\n=== {' '.join(command)}\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    preexec_fn=_die_with_parent,
                )
            last_error = self._wait_ready()
            if not last_error:
                return
            log_text = self.log_since(offset)
            # Another process may have taken the port between our probe and the bind: retry.
            if re.search(r"(address|addr).{0,20}in use", log_text, re.IGNORECASE):
                continue
            break
        pytest.fail(
            f"horreo server did not become ready: {last_error}\n"
            f"command: {self.binary} serve --data-dir {self.data_dir} "
            f"--address {self.host}:{self.port} --region {self.region}\n"
            f"--- server output ---\n{self.log_since(0)}",
            pytrace=False,
        )

    def _extra_args(self) -> list[str]:
        args = []
        for arg in self.extra_args:
            if "{free_port}" in arg:
                port = _free_port()
                self.ports[arg] = port
                arg = arg.replace("{free_port}", str(port))
            args.append(arg)
        return args

    def _wait_ready(self) -> str:
        """'' once GET / gets any HTTP response; otherwise why not (the process is stopped)."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return f"the process exited with status {code} before answering"
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                try:
                    conn.request("GET", "/")
                    conn.getresponse().read()
                    return ""
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        self.stop()
        return f"no HTTP answer on {self.endpoint} within {STARTUP_TIMEOUT_S} s"

    def stop(self) -> str:
        """SIGTERM, wait; SIGKILL after STOP_TIMEOUT_S. Returns a complaint, or ''."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return ""
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            return ""
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return f"horreo did not exit within {STOP_TIMEOUT_S} s of SIGTERM and was killed"


def _run_script(*command: str) -> None:
    """Run one of tests/ceph's scripts; pytest.fail with its output if it fails."""
    result = subprocess.run(["bash", *command], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` failed:\n{result.stdout}{result.stderr}", pytrace=False)


@dataclass
class BalancedGateways:
    """Gateways on one RADOS pool behind haproxy: to clients, one server at the balancer's port."""

    gateways: list[HorreoServer]
    port: int
    host: str = "127.0.0.1"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def region(self) -> str:
        return self.gateways[0].region

    @property
    def access_key(self) -> str:
        return self.gateways[0].access_key

    @property
    def secret_key(self) -> str:
        return self.gateways[0].secret_key

    def raw(self) -> RawS3:
        return RawS3(self.host, self.port, self.access_key, self.secret_key, self.region)

    def log_size(self) -> tuple[int, ...]:
        return tuple(g.log_size() for g in self.gateways)

    def log_since(self, offsets: tuple[int, ...] | int = 0, limit: int = LOG_ATTACH_CHARS) -> str:
        if isinstance(offsets, int):
            offsets = (offsets,) * len(self.gateways)
        share = limit // len(self.gateways)
        return "".join(
            f"--- gateway {n} ({g.endpoint}) ---\n{g.log_since(offset, share)}\n"
            for n, (g, offset) in enumerate(zip(self.gateways, offsets))
        )


@contextlib.contextmanager
def _rados_gateways(binary: str, workdir: str, count: int):
    """Yields `count` gateways on a fresh throwaway cluster behind haproxy; stops all after."""
    cluster = os.path.join(workdir, "ceph")
    balancer = os.path.join(workdir, "haproxy")
    owner = str(os.getpid())
    _run_script(str(CEPH_SCRIPTS / "cluster.sh"), "start", cluster, "--owner", owner)
    gateways: list[HorreoServer] = []
    try:
        rados = ("--backend", "rados", "--rados-conf", os.path.join(cluster, "ceph.conf"))
        rados += ("--rados-pool", "horreo", "--rados-user", "horreo")
        for n in range(count):
            data_dir = os.path.join(workdir, f"data-{n}")
            os.mkdir(data_dir)
            gateway = HorreoServer(
                binary=binary,
                data_dir=data_dir,
                log_path=Path(workdir) / f"horreo-{n}.log",
                extra_args=rados,
                access_key=gateways[0].access_key if gateways else "",
                secret_key=gateways[0].secret_key if gateways else "",
                master_key=gateways[0].master_key if gateways else "",
            )
            gateways.append(gateway)
            gateway.start()
        port = _free_port()
        backends = [f"{g.host}:{g.port}" for g in gateways]
        _run_script(str(CEPH_SCRIPTS / "balancer.sh"), "start", balancer, str(port), *backends, "--owner", owner)
        try:
            yield BalancedGateways(gateways=gateways, port=port)
        finally:
            _run_script(str(CEPH_SCRIPTS / "balancer.sh"), "stop", balancer)
    finally:
        complaints = [c for c in (g.stop() for g in gateways) if c]
        _run_script(str(CEPH_SCRIPTS / "cluster.sh"), "stop", cluster)
        if complaints:
            pytest.fail("\n".join(complaints), pytrace=False)


@pytest.fixture(scope="session")
def horreo_server():
    """The real horreo binary ($HORREO_BIN), serving on a free loopback port for the session
    (or, with HORREO_TOPOLOGY=rados3, three gateways on RADOS behind haproxy)."""
    global _SERVER
    binary = os.environ.get("HORREO_BIN")
    if not binary:
        pytest.fail(
            "HORREO_BIN is not set: it must name the horreo binary to test "
            "(tests/run-all.sh builds it and sets HORREO_BIN=$CARGO_TARGET_DIR/release/horreo)",
            pytrace=False,
        )
    if TOPOLOGY not in ("single", "rados3"):
        pytest.fail(f"HORREO_TOPOLOGY={TOPOLOGY}: expected single or rados3", pytrace=False)
    if TOPOLOGY == "rados3":
        with tempfile.TemporaryDirectory(prefix="horreo-pytest-rados3-") as workdir:
            with _rados_gateways(binary, workdir, 3) as servers:
                _SERVER = servers
                try:
                    yield servers
                finally:
                    _SERVER = None
        return
    with tempfile.TemporaryDirectory(prefix="horreo-pytest-") as workdir:
        data_dir = os.path.join(workdir, "data")
        os.mkdir(data_dir)
        server = HorreoServer(binary=binary, data_dir=data_dir, log_path=Path(workdir) / "horreo.log")
        _SERVER = server
        try:
            server.start()
            yield server
        finally:
            complaint = server.stop()
            _SERVER = None
            if complaint:
                sys.stderr.write(f"\n{complaint}\n--- server output ---\n{server.log_since(0)}\n")
                pytest.fail(complaint, pytrace=False)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[_LOG_OFFSET] = _SERVER.log_size() if _SERVER is not None else 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach what the server logged during a failed test to that test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SERVER is not None:
        text = _SERVER.log_since(item.stash.get(_LOG_OFFSET, 0))
        if text.strip():
            report.sections.append(("horreo server log", text))


# ---------------------------------------------------------------------------------------
# boto3


def make_client(server: HorreoServer, access_key: str | None = None, secret_key: str | None = None, config=None):
    """A boto3 S3 client for the server; default configuration unless `config` is given."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=server.region,
        config=config,
    )


@pytest.fixture(scope="session")
def s3(horreo_server):
    """boto3 S3 client, default configuration (flexible checksums, CRC32 by default)."""
    return make_client(horreo_server)


@pytest.fixture
def raw(horreo_server) -> RawS3:
    """Hand-built, hand-signed HTTP requests (see horreo_helpers.RawS3)."""
    return horreo_server.raw()


def unique_bucket_name(hint: str) -> str:
    """A valid, unique bucket name that says which test made it."""
    base = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:40].strip("-")
    return f"t-{base}-{secrets.token_hex(4)}" if base else f"t-{secrets.token_hex(8)}"


def delete_bucket_best_effort(s3, name: str) -> None:
    """Remove every object version, upload and finally the bucket; ignore what fails."""
    try:
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                entries = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                _delete_entries(s3, name, entries)
        except ClientError:
            pass
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            _delete_entries(s3, name, [{"Key": o["Key"]} for o in page.get("Contents", [])])
        try:
            for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
                for upload in page.get("Uploads", []):
                    s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
        except ClientError:
            pass
        s3.delete_bucket(Bucket=name)
    except Exception:  # noqa: BLE001 - cleanup is best effort; the test already reported
        pass


def _delete_entries(s3, bucket: str, entries: list[dict]) -> None:
    for start in range(0, len(entries), 1000):
        batch = entries[start : start + 1000]
        try:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        except ClientError:
            for entry in batch:
                try:
                    s3.delete_object(Bucket=bucket, **entry)
                except ClientError:
                    pass


@pytest.fixture
def bucket_factory(s3, request):
    """Create fresh buckets for this test; all are emptied and deleted afterwards."""
    created: list[str] = []

    def create() -> str:
        name = unique_bucket_name(request.node.name)
        s3.create_bucket(Bucket=name)
        created.append(name)
        return name

    yield create
    for name in created:
        delete_bucket_best_effort(s3, name)


@pytest.fixture
def bucket(bucket_factory) -> str:
    """A fresh, empty bucket owned by this test."""
    return bucket_factory()


# ---------------------------------------------------------------------------------------
# AWS CLI


def _client_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_"))}
    env.update(extra)
    return env


class AwsCli:
    """Runs the `aws` command of this virtualenv against the server."""

    def __init__(self, server: HorreoServer, workdir: Path):
        venv_aws = Path(sys.executable).parent / "aws"
        found = str(venv_aws) if venv_aws.exists() else shutil.which("aws")
        if not found:
            pytest.fail(
                "the aws CLI is not installed: pip install -r tests/clients/requirements.txt "
                "(tests/run-all.sh does this)",
                pytrace=False,
            )
        self.executable = found
        self.endpoint = server.endpoint
        config = workdir / "aws-config"
        config.write_text("")
        self.env = _client_env(
            {
                "AWS_ACCESS_KEY_ID": server.access_key,
                "AWS_SECRET_ACCESS_KEY": server.secret_key,
                "AWS_DEFAULT_REGION": server.region,
                "AWS_ENDPOINT_URL": server.endpoint,
                "AWS_CONFIG_FILE": str(config),
                "AWS_SHARED_CREDENTIALS_FILE": str(config),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_PAGER": "",
            }
        )

    def __call__(self, *args: str, check: bool = True, timeout: float = 240, cwd=None) -> subprocess.CompletedProcess:
        command = [self.executable, "--endpoint-url", self.endpoint, *map(str, args)]
        result = subprocess.run(
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
        )
        if check:
            assert result.returncode == 0, (
                f"`aws {' '.join(map(str, args))}` exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def json(self, *args: str):
        """Run an s3api command with --output json and return the parsed document ({} if empty)."""
        result = self(*args, "--output", "json")
        return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture
def aws(horreo_server, tmp_path) -> AwsCli:
    return AwsCli(horreo_server, tmp_path)


# ---------------------------------------------------------------------------------------
# rclone


class Rclone:
    """Runs rclone with a config file holding one S3 remote, `horreo:`, for the server."""

    remote = "horreo"

    def __init__(self, server: HorreoServer, workdir: Path):
        found = shutil.which("rclone")
        if not found:
            pytest.fail("rclone is not installed (tests/run-all.sh installs it with apt-get)", pytrace=False)
        self.executable = found
        self.config = workdir / "rclone.conf"
        self.config.write_text(
            "\n".join(
                [
                    f"[{self.remote}]",
                    "type = s3",
                    "provider = Other",
                    f"access_key_id = {server.access_key}",
                    f"secret_access_key = {server.secret_key}",
                    f"endpoint = {server.endpoint}",
                    f"region = {server.region}",
                    "",
                ]
            )
        )
        self.env = _client_env({})

    def __call__(self, *args: str, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
        # Few retries: a server error must show up as a failure, not be retried away.
        command = [
            self.executable,
            "--config",
            str(self.config),
            "--retries",
            "1",
            "--low-level-retries",
            "1",
            *map(str, args),
        ]
        result = subprocess.run(
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, (
                f"`rclone {' '.join(map(str, args))}` exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result


@pytest.fixture
def rclone(horreo_server, tmp_path) -> Rclone:
    workdir = tmp_path / "rclone-config"
    workdir.mkdir()
    return Rclone(horreo_server, workdir)
