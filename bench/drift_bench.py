#!/usr/bin/env python3
"""Times `infra-audit drift` against a synthetic 150-stack repository (bench.py's
generator) and a 2,000-object cluster: once from a `kubectl get -o json` snapshot file and
once through a loopback HTTP server that answers the Kubernetes list API from the same
objects (token checked, `limit`/`continue` pagination). Prints medians and peak RSS.

    python3 bench/drift_bench.py [--binary target/release/infra-audit] [--runs 7]

Goals (issue 4): snapshot <= 1 s wall and <= 150 MiB peak RSS; API server <= 2 s.
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).parent))
import bench  # noqa: E402  (the synthetic repository generator)

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
PLURALS = {"Deployment": ("apis/apps/v1", "deployments"), "StatefulSet": ("apis/apps/v1", "statefulsets"),
           "DaemonSet": ("apis/apps/v1", "daemonsets"), "CronJob": ("apis/batch/v1", "cronjobs"),
           "PersistentVolumeClaim": ("api/v1", "persistentvolumeclaims"), "PersistentVolume": ("api/v1", "persistentvolumes"),
           "StorageClass": ("apis/storage.k8s.io/v1", "storageclasses"), "Namespace": ("api/v1", "namespaces"),
           "Service": ("api/v1", "services")}


def cluster_objects(binary: Path, tree: Path, count: int) -> list[dict]:
    """The repository's declared objects as live objects (fixtures' generator), padded with
    distinct extra workloads and claims up to `count`."""
    inventory = subprocess.run([str(binary), "inventory", str(tree)], capture_output=True, check=True).stdout
    out_dir = Path(tempfile.mkdtemp(prefix="drift-snap-"))
    gen = REPO / "fixtures/cluster/terragrunt-homelab/generate.py"
    subprocess.run([sys.executable, str(gen), "--out", str(out_dir), "--no-drift"], input=inventory, check=True, capture_output=True)
    items = []
    for f in sorted(out_dir.glob("*.json")):
        items += json.loads(f.read_text())["items"]
    base = [i for i in items if i["kind"] in ("Deployment", "PersistentVolumeClaim", "StatefulSet")]
    n = 0
    while len(items) < count:
        o = copy.deepcopy(base[n % len(base)])
        o["metadata"]["name"] += f"-x{n}"
        o["metadata"]["namespace"] = f"load-{n % 40}"
        items.append(o)
        n += 1
    return items[:count]


def serve(items: list[dict]) -> tuple[ThreadingHTTPServer, str]:
    """A loopback list API over `items`."""
    by_path: dict[str, list[dict]] = {}
    for o in items:
        prefix, plural = PLURALS[o["kind"]]
        by_path.setdefault(f"/{prefix}/{plural}", []).append(o)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):  # noqa: N802
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, {"kind": "Status", "code": 401})
            url = urlparse(self.path)
            q = parse_qs(url.query)
            objs = by_path.get(url.path)
            if objs is None:
                if url.path.endswith(("/secrets", "/configmaps", "/jobs", "/ingresses", "/serviceaccounts")):
                    objs = []
                else:
                    return self.reply(404, {"kind": "Status", "code": 404})
            start = int(q.get("continue", ["0"])[0] or 0)
            limit = int(q.get("limit", [str(len(objs) or 1)])[0])
            page = objs[start:start + limit]
            meta = {"resourceVersion": "1"}
            if start + limit < len(objs):
                meta["continue"] = str(start + limit)
            self.reply(200, {"apiVersion": "v1", "kind": "List", "metadata": meta, "items": page})

        def reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def timed(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 3):
        sys.exit(f"`{' '.join(cmd)}` exited {code}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=None, help="infra-audit binary (default: build target/release)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--objects", type=int, default=2000)
    args = ap.parse_args()
    binary = Path(args.binary) if args.binary else bench.build_release()
    scratch = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    tree = bench.generate_tree(scratch / "repo-150", 150, bench.load_fixture()).path
    items = cluster_objects(binary, tree, args.objects)
    snapshot = scratch / "cluster.json"
    snapshot.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items}))
    server, url = serve(items)
    kubeconfig = scratch / "kubeconfig"
    kubeconfig.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: bench, cluster: {{server: "{url}"}}}}]
users: [{{name: bench, user: {{token: {TOKEN}}}}}]
contexts: [{{name: bench, context: {{cluster: bench, user: bench}}}}]
current-context: bench
""")
    cases = {
        "snapshot": [str(binary), "drift", str(tree), "--snapshot", str(snapshot), "--format", "json", "--output", "/dev/null"],
        "api": [str(binary), "drift", str(tree), "--kubeconfig", str(kubeconfig), "--format", "json", "--output", "/dev/null"],
    }
    results = {k: [] for k in cases}
    rss = {k: 0.0 for k in cases}
    for _ in range(args.runs):
        for k, cmd in cases.items():
            t, r = timed(cmd)
            results[k].append(t)
            rss[k] = max(rss[k], r)
    server.shutdown()
    print(f"drift, 150 stacks vs {len(items)} live objects ({args.runs} runs, medians):")
    for k in cases:
        print(f"  {k:9} {statistics.median(results[k]) * 1000:8.1f} ms   peak RSS {rss[k]:6.1f} MiB   "
              f"(spread {min(results[k]) * 1000:.0f}..{max(results[k]) * 1000:.0f} ms)")
    ok_snap = statistics.median(results["snapshot"]) <= 1.0 and rss["snapshot"] <= 150
    ok_api = statistics.median(results["api"]) <= 2.0
    print(f"{'PASS' if ok_snap else 'FAIL'}  snapshot <= 1 s and <= 150 MiB")
    print(f"{'PASS' if ok_api else 'FAIL'}  API server <= 2 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
