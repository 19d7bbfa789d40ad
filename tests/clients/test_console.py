"""The web console in a real browser: starts a server of this test's own and runs
tests/browser/console.test.js (playwright-core driving Debian's chromium) against it.
Screenshots of each view land in tests/browser/output/ (or $HORREO_SCREENSHOTS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import _free_port, _random_access_key, _random_secret_key
from test_startup import own_server

BROWSER = Path(__file__).resolve().parents[1] / "browser"


def test_console_in_chromium():
    node = shutil.which("node")
    if node is None or not (BROWSER / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node and tests/browser/node_modules are needed (tests/run-all.sh installs them)", pytrace=False)
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("/usr/bin/chromium is missing (tests/run-all.sh installs Debian's chromium)", pytrace=False)
    access_key, secret_key = _random_access_key(), _random_secret_key()
    # No free-space reserve: the 30 MiB upload must not depend on how full the disk is.
    credentials = {"HORREO_ROOT_ACCESS_KEY": access_key, "HORREO_ROOT_SECRET_KEY": secret_key, "HORREO_RESERVE": "0"}
    shots = os.environ.get("HORREO_SCREENSHOTS", str(BROWSER / "output"))
    admin_port = _free_port()
    with own_server(["--admin-address", f"127.0.0.1:{admin_port}"], env_extra=credentials) as (port, _):
        env = dict(
            os.environ,
            HORREO_CONSOLE_URL=f"http://127.0.0.1:{port}/_horreo/console/",
            HORREO_ADMIN_URL=f"http://127.0.0.1:{admin_port}/",
            HORREO_ACCESS_KEY=access_key,
            HORREO_SECRET_KEY=secret_key,
            HORREO_SCREENSHOTS=shots,
        )
        result = subprocess.run(
            [node, "--test", "--test-concurrency=1", "console.test.js"],
            cwd=BROWSER,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    views = ("sign-in", "buckets", "upload", "folder", "object", "settings", "page-two", "users", "user", "dashboard")
    for view in views:
        assert (Path(shots) / f"{view}.png").stat().st_size > 0, view
