#!/usr/bin/env python3
"""Time CompleteMultipartUpload for a small and a large upload against a running
S3 endpoint: completion refers to the parts, so it must not grow with the size.

    python benches/complete_time.py --endpoint http://127.0.0.1:9000 \
        [--small-mib 10] [--large-mib 1024] [--part-mib 8] [--rounds 5]

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints the median
completion latency of each size and their ratio (large / small).
"""
import argparse
import concurrent.futures
import os
import statistics
import time
import uuid

import boto3
from botocore.config import Config

MIB = 1024 * 1024


def upload(s3, bucket, key, size_mib, part_mib):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    body = os.urandom(part_mib * MIB)
    sizes = []
    left = size_mib * MIB
    while left > 0:
        sizes.append(min(left, len(body)))
        left -= sizes[-1]

    def send(i):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                              PartNumber=i + 1, Body=body[: sizes[i]])["ETag"]
        return {"PartNumber": i + 1, "ETag": etag}

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(send, range(len(sizes))))
    start = time.perf_counter()
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    return time.perf_counter() - start, len(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--small-mib", type=int, default=10)
    ap.add_argument("--large-mib", type=int, default=1024)
    ap.add_argument("--part-mib", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1",
                      config=Config(max_pool_connections=8))
    bucket = f"complete-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    results = {}
    for label, size in (("small", args.small_mib), ("large", args.large_mib)):
        # The small upload uses 5 MiB parts so that it has more than one.
        part = min(args.part_mib, 5) if size < 2 * args.part_mib else args.part_mib
        times = []
        for r in range(args.rounds):
            t, n = upload(s3, bucket, f"{label}-{r}", size, part)
            times.append(t)
            s3.delete_object(Bucket=bucket, Key=f"{label}-{r}")
        results[label] = statistics.median(times)
        print(f"{label}: {size} MiB in {n} parts: median completion "
              f"{results[label] * 1000:.1f} ms over {args.rounds} rounds")
    print(f"ratio large/small: {results['large'] / results['small']:.2f}")


if __name__ == "__main__":
    main()
