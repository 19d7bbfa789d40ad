"""Turns baseline.sh's raw results into the markdown table of benches/README.md.

    baseline_table.py LIMITS_TXT RESULTS_JSONL PEER COMMIT

LIMITS_TXT holds `name value unit` lines (limits.sh); RESULTS_JSONL one JSON
object per workload run ({"server", "figure", "cpu_s", "result"}) or per RSS
reading ({"server", "figure", "value"} in KiB).
"""

import datetime
import json
import platform
import sys


def load(limits_path, results_path):
    limits = {}
    for line in open(limits_path):
        parts = line.split()
        if len(parts) >= 2:
            limits[parts[0]] = float(parts[1])
    runs = {}
    for line in open(results_path):
        r = json.loads(line)
        runs[(r["server"], r["figure"])] = r
    return limits, runs


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main():
    limits_path, results_path, peer, commit = sys.argv[1:5]
    limits, runs = load(limits_path, results_path)
    has_peer = peer != "none"

    def result(server, figure):
        return runs.get((server, figure), {}).get("result", {})

    def value(server, figure, field):
        r = runs.get((server, figure))
        if r is None:
            return None
        if "value" in r:  # an RSS reading in KiB
            return r["value"] / 1024
        res = r["result"]
        if res.get("errors", 0) != 0 or res.get("ops", 0) == 0:
            return None
        return res.get(field)

    def cpu_ms_per_op(server, figure):
        r = runs.get((server, figure))
        if not r or "cpu_s" not in r or not r["result"].get("ops"):
            return None
        return r["cpu_s"] * 1000 / r["result"]["ops"]

    def fmt(v, digits=1):
        if v is None:
            return "n/a"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.{digits}f}" if abs(v) >= 1 else f"{v:.{digits + 1}f}"

    def ratio(a, b):
        if a is None or b is None or b == 0:
            return None
        return a / b

    keys = next(
        (f.split()[1] for (_, f) in runs if f.startswith("list ") and f.split()[1] != "1000"),
        "100000",
    )
    # (label, figure, field, limit name, target text, lower_is_better)
    rows = [
        ("PUT 4 KiB, c=32 (ops/s)", "put 4KiB c=32", "ops_per_sec", "fsync_4k", "≥ 2 × fsync rate", False),
        ("GET 4 KiB, c=32 (ops/s)", "get 4KiB c=32", "ops_per_sec", None, "", False),
        ("PUT 1 MiB, c=8 (MiB/s)", "put 1MiB c=8", "mib_per_sec", "disk_write_fdatasync", "", False),
        ("GET 1 MiB, c=8 (MiB/s)", "get 1MiB c=8", "mib_per_sec", "loopback_tcp", "", False),
        ("PUT 64 MiB, c=2 (MiB/s)", "put 64MiB c=2", "mib_per_sec", "disk_write_fdatasync", "≥ 0.8 × write+fdatasync", False),
        ("PUT 64 MiB, c=2 ÷ one core's MD5", "put 64MiB c=2", "mib_per_sec", "md5", "", False),
        ("GET 64 MiB, c=2 (MiB/s)", "get 64MiB c=2", "mib_per_sec", "loopback_tcp", "≥ 0.5 × loopback", False),
        ("mixed 1 MiB get/put/delete 60/20/20, c=8 (ops/s)", "mixed 1MiB c=8", "ops_per_sec", None, "", False),
        (f"PUT 0 B, c=32, loading {int(keys):,} keys (ops/s)", f"load {keys} keys", "ops_per_sec", "fsync_4k", "", False),
        (f"ListObjectsV2 1000-key page of {int(keys):,} keys (p50 ms)", f"list {keys} keys", "p50_ms", None, "", True),
        ("ListObjectsV2 1000-key page of 1,000 keys (p50 ms)", "list 1000 keys", "p50_ms", None, "", True),
        (f"ListObjectsV2 delimiter page, {int(keys):,} keys (p50 ms)", f"list {keys} keys delimiter", "p50_ms", None, "", True),
        ("ListObjectsV2 delimiter page, 1,000 keys (p50 ms)", "list 1000 keys delimiter", "p50_ms", None, "", True),
    ]
    rss = [k[1] for k in runs if k[1].startswith("rss ") and k[1].endswith(" kib")]
    for figure in sorted(set(rss), reverse=True):
        kind, size = figure.split()[1:3]
        mib = int(size.removesuffix("MiB"))
        size = f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"
        label = "single PUT" if kind == "put" else "multipart, 8 MiB parts, 4 at once"
        before = runs[("horreo", figure)].get("before", 0) / 1024 if ("horreo", figure) in runs else 0
        rows.append((f"peak server RSS, fresh server, {size} upload, {label} (MiB; horreo's RSS before: {before:.0f})", figure, None, "rss_target", "< 150 MiB", True))
        rows.append((f"{size} upload, {label} (MiB/s)", figure[: -len(" kib")], "mib_per_sec", "disk_write_fdatasync", "", False))
    limits["rss_target"] = 150.0

    limit_names = {
        "fsync_4k": "4 KiB write+fsync, 1 writer",
        "disk_write_fdatasync": "seq. write + fdatasync",
        "loopback_tcp": "loopback TCP, 1 stream",
        "md5": "MD5, one core",
        "rss_target": "target",
    }
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Baseline {now}, commit {commit}, {cpu_model()}, {len_cpus()} cores, release build; peer: {peer}.")
    print()
    print("Machine limits (limits.sh, same run): " + ", ".join(
        f"{name} {fmt(v)}" for name, v in limits.items() if name != "rss_target"))
    print()
    head = "| figure | horreo | limit | horreo ÷ limit | target |"
    sep = "|---|---|---|---|---|"
    if has_peer:
        head += f" {peer} | horreo ÷ {peer} |"
        sep += "---|---|"
    head += " server CPU ms/op horreo" + (f" / {peer}" if has_peer else "") + " |"
    sep += "---|"
    print(head)
    print(sep)
    for label, figure, field, limit, target, _lower in rows:
        s = value("horreo", figure, field)
        lim = limits.get(limit) if limit else None
        line = f"| {label} | {fmt(s)} | "
        line += f"{fmt(lim)} ({limit_names.get(limit, limit)})" if lim else ""
        line += f" | {fmt(ratio(s, lim), 2) if lim else ''} | {target} |"
        if has_peer:
            p = value(peer, figure, field)
            line += f" {fmt(p)} | {fmt(ratio(s, p), 2)} |"
        cpu = [cpu_ms_per_op("horreo", figure)] + ([cpu_ms_per_op(peer, figure)] if has_peer else [])
        line += " " + " / ".join(fmt(c, 2) for c in cpu) + " |" if field else " |"
        print(line)
    ratio_rows = [("plain", f"list {keys} keys", "list 1000 keys"),
                  ("delimiter", f"list {keys} keys delimiter", "list 1000 keys delimiter")]
    print()
    for name, big, small in ratio_rows:
        r = ratio(value("horreo", big, "p50_ms"), value("horreo", small, "p50_ms"))
        print(f"- horreo: {name} page over {int(keys):,} keys ÷ over 1,000 keys (p50): {fmt(r, 2)} (target ≤ 1.5 at 1,000,000 keys)")
    errors = [(k, r["result"].get("errors")) for k, r in runs.items()
              if "result" in r and r["result"].get("errors")]
    if errors:
        print()
        print("Runs with errors: " + ", ".join(f"{s} {f}: {e}" for (s, f), e in errors))


def len_cpus():
    import os
    return os.cpu_count()


if __name__ == "__main__":
    main()
