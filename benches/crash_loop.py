#!/usr/bin/env python3
"""Kill -9 under load, restart, and check that nothing acknowledged was lost or torn.

    benches/crash_loop.py [CYCLES] [HORREO_BIN]     # defaults: 100, $HORREO_BIN

Each cycle starts horreo on one data directory, runs 8 threads of PUTs (1 KiB,
100 KiB or 2 MiB; the content is derived from the key and a generation number) and
DELETEs over 400 keys, kills the server with SIGKILL at a random moment, restarts it
and reads every key back. An acknowledged write must be there exactly (else: lost);
a write cut by the kill may be there or not, but never mixed (else: torn). Prints
one line per cycle and the totals; exit status 1 if anything was lost or torn.
Needs boto3 (the test virtualenv has it).
"""

import hashlib
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

THREADS = 8
KEYS_PER_THREAD = 50
SIZES = (1024, 100 * 1024, 2 * 1024 * 1024)
ACCESS, SECRET = "crashloop", "crashloopsecret0123456789"
MASTER_KEY = "11" * 32
GENERATIONS = itertools.count(1)  # thread-safe: each write's content is new


def content(key: str, generation: int) -> bytes:
    rng = random.Random(f"{key}/{generation}")
    return rng.randbytes(rng.choice(SIZES))


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


class Server:
    def __init__(self, binary: str, data_dir: str):
        self.binary, self.data_dir = binary, data_dir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = None

    def start(self):
        env = dict(os.environ, HORREO_ROOT_ACCESS_KEY=ACCESS, HORREO_ROOT_SECRET_KEY=SECRET,
                   HORREO_MASTER_KEY=MASTER_KEY, HORREO_RESERVE="0")
        self.log = open(os.path.join(os.path.dirname(self.data_dir), "server.log"), "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data-dir", self.data_dir, "--address", f"127.0.0.1:{self.port}"],
            env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"horreo exited with {self.proc.returncode} at start (see server.log)")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        sys.exit("horreo did not start within 30 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def client(self):
        return boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{self.port}", region_name="us-east-1",
            aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10))


def worker(server: Server, thread: int, state: dict, stop: threading.Event, counts: dict):
    s3 = server.client()
    rng = random.Random()
    while not stop.is_set():
        key = f"t{thread}/k{rng.randrange(KEYS_PER_THREAD)}"
        allowed = state[key]  # what a GET may return: {digest, or None for absent}
        if rng.random() < 0.75:
            data = content(key, next(GENERATIONS))
            new = digest(data)
            state[key] = allowed | {new}
            try:
                s3.put_object(Bucket="crash", Key=key, Body=data)
            except Exception:
                return  # the server is gone: this write may or may not have landed
            state[key] = {new}
        else:
            state[key] = allowed | {None}
            try:
                s3.delete_object(Bucket="crash", Key=key)
            except Exception:
                return
            state[key] = {None}
        with counts["lock"]:
            counts["acked"] += 1


def verify(server: Server, state: dict) -> tuple[int, int]:
    s3 = server.client()
    lost = torn = 0
    for key, allowed in state.items():
        try:
            found = digest(s3.get_object(Bucket="crash", Key=key)["Body"].read())
        except ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchKey":
                raise
            found = None
        if found not in allowed:
            if len(allowed) == 1:
                lost += 1
                print(f"  LOST {key}: expected {allowed}, found {found}")
            else:
                torn += 1
                print(f"  TORN {key}: expected one of {allowed}, found {found}")
        state[key] = {found}
    return lost, torn


def main():
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    binary = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("HORREO_BIN", "")
    if not os.access(binary, os.X_OK):
        sys.exit("usage: crash_loop.py [CYCLES] HORREO_BIN")
    work = tempfile.mkdtemp(prefix="horreo-crash-")
    server = Server(binary, os.path.join(work, "data"))
    state = {f"t{t}/k{k}": {None} for t in range(THREADS) for k in range(KEYS_PER_THREAD)}
    server.start()
    server.client().create_bucket(Bucket="crash")
    total = {"lost": 0, "torn": 0, "acked": 0}
    counts = {"lock": threading.Lock(), "acked": 0}
    for cycle in range(1, cycles + 1):
        counts["acked"] = 0
        stop = threading.Event()
        threads = [threading.Thread(target=worker, args=(server, t, state, stop, counts))
                   for t in range(THREADS)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.5, 2.0))
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        server.start()
        lost, torn = verify(server, state)
        total["lost"] += lost
        total["torn"] += torn
        total["acked"] += counts["acked"]
        print(f"cycle {cycle}: {counts['acked']} acknowledged writes, lost {lost}, torn {torn}", flush=True)
    server.kill()
    print(f"{cycles} cycles: {total['acked']} acknowledged writes, lost {total['lost']}, torn {total['torn']}")
    sys.exit(1 if total["lost"] or total["torn"] else 0)


if __name__ == "__main__":
    main()
