#!/usr/bin/env python3
"""Times `infra-audit audit --staged` on one staged file in a git copy of the fixture.

Usage: cargo build --release && python3 bench/staged_bench.py [runs]

Prints the median and best of the tool's own elapsed time (`summary.elapsed_ms` of the JSON
report: reading the index and HEAD, diffing, auditing) and of the whole process (wall time,
including start-up and reading the git repository).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "infra-audit")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50


def git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=B", "-c", "user.email=b@example.com", *args],
        cwd=cwd, check=True, capture_output=True,
    )


with tempfile.TemporaryDirectory() as tmp:
    repo = os.path.join(tmp, "repo")
    shutil.copytree(os.path.join(ROOT, "fixtures", "terragrunt-homelab"), repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    path = os.path.join(repo, "stacks", "immich", "main.tf")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("server = var.nfs_server", 'server = "192.168.1.127"', 1))
    git(repo, "add", "stacks/immich/main.tf")

    tool, wall = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        out = subprocess.run(
            [BIN, "audit", "--staged", "--format", "json"], cwd=repo, capture_output=True
        )
        wall.append((time.perf_counter() - start) * 1000)
        doc = json.loads(out.stdout)
        tool.append(doc["summary"]["elapsed_ms"])
        findings = [(f["rule"], f["path"], f["line"]) for f in doc["findings"]]
    print(f"findings: {findings}")
    print(f"tool time (summary.elapsed_ms): median {statistics.median(tool):.1f} ms, best {min(tool)} ms")
    print(f"process wall time:              median {statistics.median(wall):.1f} ms, best {min(wall):.1f} ms")
