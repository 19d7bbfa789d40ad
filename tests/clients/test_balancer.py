"""The rados3 topology itself (HORREO_TOPOLOGY=rados3; conftest.py collects this file only
there): the balancer really spreads requests."""

from __future__ import annotations

import re
import time


def test_consecutive_requests_of_one_connection_reach_every_gateway(horreo_server, s3, bucket):
    assert hasattr(horreo_server, "gateways"), "this file is for HORREO_TOPOLOGY=rados3"
    offsets = horreo_server.log_size()
    for n in range(6):
        s3.put_object(Bucket=bucket, Key=f"spread-{n}", Body=b"x")
    for n in range(6):
        assert s3.get_object(Bucket=bucket, Key=f"spread-{n}")["Body"].read() == b"x"

    # A gateway logs a request once its response is sent: give the last lines a moment.
    deadline = time.monotonic() + 5
    while True:
        served = [
            len(re.findall(rf'bucket="{re.escape(bucket)}" key="spread-\d"', gateway.log_since(offset, limit=10**7)))
            for gateway, offset in zip(horreo_server.gateways, offsets)
        ]
        if sum(served) == 12 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # Round-robin over three gateways: each of the twelve requests went to one, and each got some.
    assert sum(served) == 12, served
    assert all(served), served
