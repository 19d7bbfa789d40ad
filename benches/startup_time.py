"""Start-up time of `horreo serve --ephemeral`: from spawning the process to the first
answered request (GET /_horreo/health/ready answering 200), over several starts.

    python3 benches/startup_time.py [HORREO_BIN] [--runs 10]

Polls with a fresh connection every 2 ms, so a figure is at most ~2 ms late. Prints
each start's time, then the median and the worst.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_start(binary: str) -> float:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORREO_")}
    env.update(HORREO_ROOT_ACCESS_KEY="STARTUP", HORREO_ROOT_SECRET_KEY="startup-secret-0123456789", HORREO_RESERVE="0")
    started = time.perf_counter()
    process = subprocess.Popen(
        [binary, "serve", "--ephemeral", "--address", f"127.0.0.1:{port}", "--default-bucket", "ci-bucket"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"horreo exited with {process.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/_horreo/health/ready")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("binary", nargs="?", default=os.environ.get("HORREO_BIN", f"{target}/release/horreo"))
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        times.append(one_start(args.binary) * 1000)
        print(f"{times[-1]:.1f} ms")
    print(f"median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms over {len(times)} starts")


if __name__ == "__main__":
    main()
