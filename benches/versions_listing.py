#!/usr/bin/env python3
"""Do many versions and delete markers slow down listings? Times the same pages in
two versioned buckets side by side, one plain and one laden with history.

    ~/.cache/horreo-venv/bin/python benches/versions_listing.py --endpoint http://127.0.0.1:9000 \
        [--versions 10000] [--markers 100000] [--count 200]

- `plain`: 1,000 keys `k0000`..`k0999`, one version each.
- `heavy`: the same 1,000 keys, plus key `a-hot` with --versions versions and
  --markers objects under the prefix `dm/` that were written and then deleted (a
  delete marker on top of each), both sorting before the `k` keys, so a page from
  the start of the bucket has to get past them.

Each figure is the median latency of raw, signed HTTP requests (no SDK parses the
XML), the two buckets interleaved, and the ratio heavy / plain. Credentials come
from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; run with the client-test virtualenv
(tests/run-all.sh creates it). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "clients"))

from horreo_helpers import RawS3  # noqa: E402

KEYS = [f"k{i:04d}" for i in range(1000)]


def versioned_bucket(s3, name: str) -> None:
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def fill(s3, bucket: str, keys, threads: int = 8) -> None:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))


def add_markers(s3, bucket: str, count: int, threads: int = 4) -> None:
    """Objects written, then deleted without version ids: a marker on each."""
    fill(s3, bucket, [f"dm/{i:07d}" for i in range(count)])

    def batch(start: int) -> None:
        objects = [{"Key": f"dm/{i:07d}"} for i in range(start, min(start + 1000, count))]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(batch, range(0, count, 1000)))


def median_ms(raw: RawS3, bucket: str, query: list, count: int) -> tuple[float, int]:
    times = []
    body = b""
    for _ in range(count):
        started = time.perf_counter()
        response = raw.request("GET", bucket, query=sorted(query))
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, response
        body = response.body
    times.sort()
    entries = body.count(b"<Key>") + body.count(b"<Prefix>") - 1
    return times[len(times) // 2], entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:9000")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--markers", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        region_name=args.region,
        config=Config(max_pool_connections=16, retries={"max_attempts": 1}),
    )
    suffix = f"{int(time.time())}"
    plain, heavy = f"plain-{suffix}", f"heavy-{suffix}"
    for bucket in (plain, heavy):
        versioned_bucket(s3, bucket)
        fill(s3, bucket, KEYS)
    started = time.perf_counter()
    fill(s3, heavy, ["a-hot"] * args.versions)
    add_markers(s3, heavy, args.markers)
    print(f"history written in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    url = urlparse(args.endpoint)
    raw = RawS3(
        url.hostname or "127.0.0.1",
        url.port or 80,
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        args.region,
    )
    v2 = [("list-type", "2")]
    versions = [("versions", ""), ("max-keys", "1000")]
    # (query in plain, query in heavy): the same page of results in each.
    pages = {
        # From the start: heavy's page must get past a-hot's history and dm/.
        "list_v2_first_page": (v2, v2),
        "list_v2_delimiter": (v2 + [("delimiter", "/")], v2 + [("delimiter", "/")]),
        # An empty page: a prefix holding nothing, or only delete markers.
        "list_v2_markers_prefix": (v2 + [("prefix", "dm/")], v2 + [("prefix", "dm/")]),
        # 1,000 versions: of 1,000 keys in plain, of the one hot key in heavy.
        "list_versions_one_key": (versions + [("prefix", "k")], versions + [("prefix", "a-hot")]),
        # 1,000 delete markers in heavy against 1,000 versions in plain.
        "list_versions_markers": (versions + [("prefix", "k")], versions + [("prefix", "dm/")]),
    }
    result = {"versions_of_hot_key": args.versions, "delete_markers": args.markers}
    for name, queries in pages.items():
        runs = [median_ms(raw, b, q, args.count // 4) for _ in range(2) for b, q in zip((plain, heavy), queries)]
        plain_ms = min(r[0] for r in runs[0::2])
        heavy_ms = min(r[0] for r in runs[1::2])
        result[name] = {
            "plain_ms": round(plain_ms, 3),
            "heavy_ms": round(heavy_ms, 3),
            "ratio": round(heavy_ms / plain_ms, 2),
            "entries": [runs[0][1], runs[1][1]],
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
