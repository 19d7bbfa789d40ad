#!/usr/bin/env python3
"""The table of benches/side_by_side.sh from its JSON lines: per workload and
server, throughput (ops/s for 4 KiB, MiB/s above) and server CPU per operation
(ms; per MiB for large objects), averaged over the runs of a server, then the
first server's throughput divided by each other server's."""

import json
import sys
from collections import defaultdict

LARGE = {"put1m", "get1m", "put64m", "get64m"}
ORDER = ["put4k", "get4k", "delete4k", "put1m", "get1m", "put64m", "get64m"]
LABEL = {
    "put4k": "4 KiB PUT, c=16",
    "get4k": "4 KiB GET, c=16",
    "delete4k": "4 KiB DELETE, c=16",
    "put1m": "1 MiB PUT, c=8",
    "get1m": "1 MiB GET, c=8",
    "put64m": "64 MiB PUT, c=2",
    "get64m": "64 MiB GET, c=2",
}


def main(path):
    runs = defaultdict(list)  # (workload, server) -> [(rate, cpu per unit, errors)]
    servers = []
    for line in open(path):
        r = json.loads(line)
        server, workload, res = r["server"], r["workload"], r["result"]
        if server not in servers:
            servers.append(server)
        large = workload in LARGE
        rate = res.get("mib_per_sec" if large else "ops_per_sec", 0.0)
        units = res.get("ops", 0) * (float(res.get("size", 0)) / 2**20 if large else 1)
        cpu = r["cpu_s"] * 1000 / units if units else 0.0
        runs[(workload, server)].append((rate, cpu, res.get("errors", 0)))

    def mean(values):
        return sum(values) / len(values) if values else 0.0

    first, others = servers[0], servers[1:]
    head = ["workload"] + [f"{s} (runs)" for s in servers]
    head += [f"{first} ÷ {s}" for s in others]
    head += [f"CPU ms/op (/MiB) {s}" for s in servers if s != "null"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for workload in ORDER:
        if not any((workload, s) in runs for s in servers):
            continue
        rates = {s: mean([r for r, _, _ in runs[(workload, s)]]) for s in servers}
        row = [LABEL[workload]]
        for s in servers:
            figures = ", ".join(f"{r:,.0f}" for r, _, _ in runs[(workload, s)])
            errors = sum(e for _, _, e in runs[(workload, s)])
            row.append(figures + (f" ({errors} errors)" if errors else ""))
        for s in others:
            row.append(f"{rates[first] / rates[s]:.2f}" if rates[s] else "-")
        for s in servers:
            if s != "null":
                row.append(f"{mean([c for _, c, _ in runs[(workload, s)]]):.3f}")
        print("| " + " | ".join(row) + " |")
    print()
    print("Throughput: ops/s for 4 KiB, MiB/s for 1 and 64 MiB; one figure per run.")


if __name__ == "__main__":
    main(sys.argv[1])
