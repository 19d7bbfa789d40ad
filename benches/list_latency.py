#!/usr/bin/env python3
"""Latency of ListObjectsV2 pages as raw HTTP: no SDK parses the XML, so the figure
is the server's (plus one loopback connection and a SigV4 signature per request).

    ~/.cache/horreo-venv/bin/python benches/list_latency.py --endpoint http://127.0.0.1:9000 --bucket bench \
        [--delimiter /] [--max-keys 1000] [--count 300] [--start-after KEY]

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints one JSON object:
p50_ms, p99_ms, max_ms, entries_per_page (Contents + CommonPrefixes of the last page).
Uses the signing helper of the client test suite (tests/clients/horreo_helpers.py), so run
it with that suite's virtualenv (tests/run-all.sh creates it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "clients"))

from horreo_helpers import RawS3  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:9000")
    parser.add_argument("--bucket", default="bench")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--delimiter")
    parser.add_argument("--prefix")
    parser.add_argument("--start-after")
    parser.add_argument("--max-keys", type=int, default=1000)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()

    url = urlparse(args.endpoint)
    raw = RawS3(
        url.hostname or "127.0.0.1",
        url.port or 80,
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        args.region,
    )
    query = [("list-type", "2"), ("max-keys", str(args.max_keys))]
    for name, value in (("delimiter", args.delimiter), ("prefix", args.prefix), ("start-after", args.start_after)):
        if value is not None:
            query.append((name, value))
    query.sort()

    latencies = []
    body = b""
    for _ in range(args.count):
        started = time.perf_counter()
        response = raw.request("GET", args.bucket, query=query)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            sys.exit(f"HTTP {response.status}: {response.body[:500]!r}")
        body = response.body
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[max(0, math.ceil(len(latencies) * p) - 1)], 3)

    entries = body.count(b"<Contents>") + body.count(b"<CommonPrefixes>")
    print(
        json.dumps(
            {
                "bucket": args.bucket,
                "delimiter": args.delimiter,
                "count": len(latencies),
                "p50_ms": pct(0.5),
                "p99_ms": pct(0.99),
                "max_ms": pct(1.0),
                "entries_per_page": entries,
                "response_bytes": len(body),
            }
        )
    )


if __name__ == "__main__":
    main()
