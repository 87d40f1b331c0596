#!/usr/bin/env python3
"""Benchmark infra-audit against ripgrep on synthetic Terragrunt repositories.

Python 3.11, standard library only. See bench/README.md for how to run it and how
to read the output.

Outline:
  1. build the release binary (or take the ones given with --binary);
  2. generate one synthetic repo per N in --stacks, shaped like
     fixtures/terragrunt-homelab/ (its root files once, then N stack directories
     cycled from the fixture's stacks/, padded to ~20 KB of .tf each);
  3. check once that infra-audit parses every generated file (a parse-error
     finding means the generator wrote invalid HCL);
  4. time `rg --no-config -c resource TREE` and `infra-audit audit TREE --format json
     --output /dev/null`, interleaved in one loop, --runs times plus a discarded
     warm-up, recording wall time and the child's peak RSS (os.wait4);
  5. print a table and the goals, and save the figures as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "terragrunt-homelab"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Root entries of the fixture that are not part of "a repo like the fixture".
FIXTURE_META = {"stacks", "EXPECTED.md"}
# Padding target: total bytes of *.tf per generated stack (150 stacks ~ 3 MB of HCL).
STACK_TF_TARGET = 20_000

# Goals (see README). The scale goal is 1.05 x the stack-count ratio: 10.5 for 150 -> 1500.
GOAL_RATIO = 3.0
# `audit --fix` / `--diff` against a plain audit of the same tree by the same binary (issue 3).
GOAL_FIX_RATIO = 2.0
MODES = ("audit", "diff", "fix", "staged", "drift")
GOAL_RSS_MIB = 64.0
GOAL_SCALE_SLACK = 1.05

RESOURCE_HEADER = re.compile(rb'^(resource[ \t]+"[^"\r\n]+"[ \t]+")([^"\r\n]+)(")', re.M)
TOP_LEVEL_KEYWORD = re.compile(rb"^([A-Za-z_][A-Za-z0-9_]*)\b")


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(
        description="Benchmark infra-audit against ripgrep on synthetic Terragrunt repos.",
    )
    p.add_argument(
        "--stacks",
        default="150,1500",
        help="comma-separated stack counts to generate (default: 150,1500)",
    )
    p.add_argument("--runs", type=int, default=7, help="timed runs per command (default: 7)")
    p.add_argument("--keep", action="store_true", help="keep the generated trees and print their path")
    p.add_argument(
        "--binary",
        action="append",
        metavar="PATH",
        help="use this infra-audit binary instead of building; give twice to compare two builds",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if a goal fails")
    p.add_argument(
        "--modes",
        default="audit",
        help="comma-separated commands to time: audit (JSON report), diff (audit --diff), "
        "fix (audit --fix on a fresh copy of the tree per run), staged (audit --staged with one "
        "staged file), drift (drift --snapshot, one row per --objects count); default: audit",
    )
    p.add_argument(
        "--objects",
        default="2000",
        help="comma-separated object counts of the synthetic cluster snapshots for the drift mode "
        "(default: 2000)",
    )
    p.add_argument(
        "--fix-max-stacks",
        type=int,
        default=1500,
        help="time the fix mode only on trees of at most this many stacks: it copies the tree once "
        "per run (default: 1500)",
    )
    args = p.parse_args(argv)
    args.objects = [int(o) for o in args.objects.split(",") if o.strip()]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in args.modes if m not in MODES]
    if unknown or not args.modes:
        p.error(f"--modes: expected some of {','.join(MODES)}, got {unknown or 'nothing'}")
    if any(m != "audit" for m in args.modes) and "audit" not in args.modes:
        args.modes.insert(0, "audit")  # diff and fix are judged against a plain audit
    try:
        args.stacks = sorted({int(s) for s in args.stacks.split(",") if s.strip()})
    except ValueError:
        p.error(f"--stacks: expected comma-separated integers, got {args.stacks!r}")
    if not args.stacks or min(args.stacks) < 1:
        p.error("--stacks: need at least one positive stack count")
    if args.runs < 1:
        p.error("--runs must be >= 1")
    return args


# --------------------------------------------------------------------------- tools


def require_rg() -> str:
    """Return the path of ripgrep, or exit 2 with install instructions."""
    rg = shutil.which("rg")
    if rg is None:
        print(
            "error: ripgrep (rg) is not installed; it is the baseline of this benchmark.\n"
            "Install it with:  apt-get install ripgrep   (or: cargo install ripgrep)",
            file=sys.stderr,
        )
        sys.exit(2)
    return rg


def tool_version(cmd: list[str]) -> str:
    """First line of `cmd`'s output, or "?" if it fails."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    return out.splitlines()[0].strip() if out.strip() else "?"


def cpu_busy_fraction(window: float = 1.0) -> float | None:
    """Share of all CPUs busy over `window` seconds, from /proc/stat (None if unavailable).

    Used instead of the load average, which still carries our own cargo build for minutes.
    """
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return idle, sum(values)

    try:
        idle0, total0 = sample()
        time.sleep(window)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total > 0 else None


def warn_if_busy() -> float | None:
    """Warn when other processes keep the CPUs busy: they distort the timings."""
    busy = cpu_busy_fraction()
    if busy is not None and busy > 0.15:
        print(f"warning: the CPUs are {busy:.0%} busy before the benchmark starts; timings will be noisy "
              f"(is a cargo build or test running?)", file=sys.stderr)
    return busy


def git_revision() -> str:
    """`git describe` of the working copy being benchmarked (with -dirty)."""
    return tool_version(["git", "-C", str(REPO), "describe", "--always", "--dirty"])


def build_release() -> Path:
    """Run `cargo build --release` in the repo and return the infra-audit executable."""
    print(f"building: cargo build --release (in {REPO})", flush=True)
    proc = subprocess.run(
        ["cargo", "build", "--release", "--message-format=json-render-diagnostics"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print("error: cargo build --release failed (diagnostics above)", file=sys.stderr)
        sys.exit(2)
    exe = None
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if (
            msg.get("reason") == "compiler-artifact"
            and msg.get("target", {}).get("name") == "infra-audit"
            and msg.get("executable")
        ):
            exe = Path(msg["executable"])
    if exe is None:
        print("error: cargo did not report an infra-audit executable", file=sys.stderr)
        sys.exit(2)
    return exe


def snapshot_binary(src: Path, dest_dir: Path, index: int) -> Path:
    """Copy a binary into the scratch dir so a concurrent rebuild cannot swap it mid-run."""
    if not src.is_file() or not os.access(src, os.X_OK):
        print(f"error: {src} is not an executable file", file=sys.stderr)
        sys.exit(2)
    dest = dest_dir / f"infra-audit.{index}"
    shutil.copy2(src, dest)
    return dest


def sha256_prefix(path: Path) -> str:
    """First 12 hex digits of a file's SHA-256 (identifies the build in the JSON)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def binary_labels(paths: list[str]) -> list[str]:
    """Short, distinct labels for the --binary paths (file name, else index)."""
    names = [Path(p).name for p in paths]
    if len(set(names)) == len(names):
        return names
    parents = [f"{Path(p).parent.name}/{Path(p).name}" for p in paths]
    if len(set(parents)) == len(parents):
        return parents
    return [f"bin{i + 1}" for i in range(len(paths))]


# --------------------------------------------------------------------------- generator


def resource_blocks_only(text: bytes) -> bytes:
    """Drop top-level blocks other than `resource` (variable, locals, module, import ...).

    A padding copy that redeclared them would be invalid Terraform (duplicate variable,
    local or module names) even though it is valid HCL. Works on formatted HCL: a
    top-level block opens on a column-0 line ending in `{` and closes on a line that is
    just `}`. Top-level `/* ... */` comments are passed through untouched. Comments and
    blank lines between blocks are kept (suppression comments sit there).
    """
    out: list[bytes] = []
    skipping = in_comment = False
    for line in text.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n").rstrip()
        if skipping:
            skipping = bare != b"}"
            continue
        if in_comment:
            out.append(line)
            in_comment = b"*/" not in bare
            continue
        if bare.startswith(b"/*"):
            out.append(line)
            in_comment = b"*/" not in bare[2:]
            continue
        m = TOP_LEVEL_KEYWORD.match(bare)
        if m and m.group(1) != b"resource":
            if bare.endswith(b"{"):
                skipping = True
                continue
            if bare.endswith(b"}"):  # one-line block such as `locals { a = 1 }`
                continue
        out.append(line)
    return b"".join(out)


def padding_copy(template: bytes, k: int) -> bytes:
    """The K-th padding copy: resource names get a `_copyK` suffix so addresses stay unique."""
    return RESOURCE_HEADER.sub(lambda m: m.group(1) + m.group(2) + b"_copy%d" % k + m.group(3), template)


@dataclass
class StackTemplate:
    """A fixture stack: its files, and the resource-only text used for padding."""

    name: str
    files: dict[str, bytes]  # relative path -> bytes
    tf_bytes: int
    pad_source: str | None  # relative path, e.g. "main.tf"; None: nothing to pad from
    pad_template: bytes


def load_stack(stack_dir: Path) -> StackTemplate:
    """Read one fixture stack directory (recursively) and prepare its padding template."""
    files = {
        str(p.relative_to(stack_dir)): p.read_bytes()
        for p in sorted(stack_dir.rglob("*"))
        if p.is_file()
    }
    tf_bytes = sum(len(b) for rel, b in files.items() if rel.endswith(".tf"))
    # Pad from main.tf; fall back to another .tf file that has resources, top-level files
    # first (dbaas/main.tf only calls a stack-local module: pad modules/dbaas/main.tf).
    candidates = sorted((rel for rel in files if rel.endswith(".tf")),
                        key=lambda rel: (rel.count("/"), Path(rel).name != "main.tf", rel))
    pad_source, pad_template = None, b""
    for rel in candidates:
        template = resource_blocks_only(files[rel])
        if RESOURCE_HEADER.search(template):
            pad_source, pad_template = rel, template
            break
    return StackTemplate(stack_dir.name, files, tf_bytes, pad_source, pad_template)


def load_fixture() -> list[StackTemplate]:
    """Load every stack of the fixture; exit 2 if the fixture has none yet."""
    stacks_dir = FIXTURE / "stacks"
    stacks = [load_stack(d) for d in sorted(stacks_dir.iterdir()) if d.is_dir()] if stacks_dir.is_dir() else []
    if not stacks:
        print(f"error: no stacks under {stacks_dir}", file=sys.stderr)
        sys.exit(2)
    return stacks


def padded_files(stack: StackTemplate) -> dict[str, bytes]:
    """The stack's files plus main2.tf, main3.tf ... until its .tf total is ~STACK_TF_TARGET."""
    files = dict(stack.files)
    if stack.pad_source is None:
        return files
    stem = stack.pad_source[: -len(".tf")]  # e.g. "main" or "modules/dbaas/main"
    total, k = stack.tf_bytes, 2
    # Add a copy while that brings the total closer to the target than stopping would.
    while total + len(stack.pad_template) / 2 < STACK_TF_TARGET:
        name = f"{stem}{k}.tf"  # next to its source: main2.tf, modules/dbaas/main2.tf ...
        if name not in files:
            copy = padding_copy(stack.pad_template, k)
            files[name] = copy
            total += len(copy)
        k += 1
    return files


@dataclass
class Tree:
    """A generated repository and its size."""

    stacks: int
    path: Path
    files: int
    bytes: int
    hcl_bytes: int

    @property
    def mb(self) -> float:
        """Total size in MB (10^6 bytes)."""
        return self.bytes / 1e6


def copy_root(dest: Path) -> None:
    """Copy the fixture's root files and directories (everything but stacks/ and EXPECTED.md)."""
    for entry in sorted(FIXTURE.iterdir()):
        if entry.name in FIXTURE_META:
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name)
        else:
            shutil.copy2(entry, dest / entry.name)


def generate_tree(dest: Path, n: int, templates: list[StackTemplate]) -> Tree:
    """Write a repo with N stacks at dest, `git init` it, and measure it."""
    dest.mkdir(parents=True)
    copy_root(dest)
    padded = [padded_files(t) for t in templates]
    for i in range(n):
        t = i % len(templates)
        stack_dir = dest / "stacks" / f"{templates[t].name}-{i}"
        for rel, data in padded[t].items():
            target = stack_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    return measure_tree(dest, n)


def measure_tree(root: Path, n: int) -> Tree:
    """Count files and bytes under root (ignoring .git)."""
    files = size = hcl = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if ".git" in dirnames:
            dirnames.remove(".git")
        for name in filenames:
            s = os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
            size += s
            if name.endswith((".tf", ".hcl")):
                hcl += s
    return Tree(n, root, files, size, hcl)


# --------------------------------------------------------------------------- running


@dataclass
class Sample:
    """One timed child process."""

    seconds: float
    maxrss_kib: int
    exit_code: int


def run_child(cmd: list[str], stderr_path: Path) -> Sample:
    """Run cmd with stdout discarded; time it and read its peak RSS via os.wait4."""
    with open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4: keep Popen from waiting again
    return Sample(elapsed, usage.ru_maxrss, code)


def check_exit(label: str, sample: Sample, ok_codes: set[int], stderr_path: Path) -> None:
    """Exit 2 with the child's stderr if it failed (a benchmark of a crash is meaningless)."""
    if sample.exit_code not in ok_codes:
        print(f"error: {label} exited {sample.exit_code}:", file=sys.stderr)
        print(stderr_path.read_text(errors="replace")[-4000:], file=sys.stderr)
        sys.exit(2)


def rg_cmd(rg: str, tree: Path) -> list[str]:
    """The baseline: count `resource` lines per file."""
    return [rg, "--no-config", "-c", "resource", str(tree)]


def audit_cmd(binary: Path, tree: Path, output: str = "/dev/null") -> list[str]:
    """The measured command."""
    return [str(binary), "audit", str(tree), "--format", "json", "--output", output]


def mode_cmd(binary: Path, tree: Path, mode: str, snapshots: dict[str, Path] | None = None) -> list[str]:
    """The command for one mode: `audit`, `audit --diff` (diff on stdout, discarded),
    `audit --fix` (writes the fixes into `tree`, which must be a throw-away copy),
    `audit --staged`, or `drift-<objects>` (drift against that snapshot)."""
    if mode == "diff":
        return [str(binary), "audit", str(tree), "--diff"]
    if mode == "fix":
        return audit_cmd(binary, tree) + ["--fix"]
    if mode == "staged":
        return audit_cmd(binary, tree) + ["--staged"]
    if mode.startswith("drift-"):
        return [str(binary), "drift", str(tree), "--snapshot", str((snapshots or {})[mode]),
                "--format", "json", "--output", "/dev/null"]
    return audit_cmd(binary, tree)


def prepare_staged(tree: Path) -> str:
    """Commit the whole tree, then edit and stage one file (what a pre-commit hook sees):
    returns the repo-relative path of the staged file."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "B", "GIT_COMMITTER_EMAIL": "b@example.com"}
    subprocess.run(["git", "add", "-A"], cwd=tree, check=True, env=env)
    subprocess.run(["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "base"], cwd=tree, check=True, env=env)
    target = sorted((tree / "stacks").iterdir())[0] / "main.tf"
    with open(target, "a") as f:
        f.write("\n# a staged edit\n")
    subprocess.run(["git", "add", str(target)], cwd=tree, check=True, env=env)
    return str(target.relative_to(tree))


def prepare_snapshot(binary: Path, tree: Path, count: int, scratch: Path) -> Path:
    """A `kubectl get -o json` List of `count` objects: the tree's declared objects as live
    objects, padded with distinct extra workloads and claims (drift_bench.py's generator)."""
    # In a child process: a Python holding 20,000 objects would make every later fork start
    # with that memory, and `ru_maxrss` counts it for each timed child.
    path = scratch / f"cluster-{tree.name}-{count}.json"
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import drift_bench; "
        "items = drift_bench.cluster_objects(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])); "
        "Path(sys.argv[5]).write_text(json.dumps({'apiVersion': 'v1', 'kind': 'List', 'metadata': {}, 'items': items}))"
    )
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(binary), str(tree), str(count), str(path)],
                   check=True)
    return path


def fresh_copies(tree: Path, count: int, scratch: Path) -> list[Path]:
    """`count` copies of the tree for `--fix` runs, made before any timing so that no copy
    or delete runs between timed commands (deleting thousands of files just before a run
    slows ext4's inode allocation for the files --fix creates)."""
    base = scratch / f"fix-copies-{tree.name}"
    copies = []
    for i in range(count):
        dest = base / str(i)
        shutil.copytree(tree, dest, symlinks=True)
        copies.append(dest)
    return copies


def validate_tree(binary: Path, label: str, tree: Tree, scratch: Path) -> dict:
    """Audit the tree once and report parse errors / unexpected skips (generator bugs)."""
    report_path = scratch / f"report-{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}-{tree.stacks}.json"
    err_path = scratch / "validate.stderr"
    sample = run_child(audit_cmd(binary, tree.path, str(report_path)), err_path)
    check_exit(f"{label} audit (validation)", sample, {0, 1, 3}, err_path)
    report = json.loads(report_path.read_text())
    findings = report.get("findings", [])
    summary = report.get("summary", {})
    parse_errors = [f for f in findings if f.get("rule") == "parse-error"]
    odd_skips = [s for s in report.get("skipped", []) if s.get("reason") not in ("sops", "git-crypt")]
    print(
        f"  {label}: {summary.get('files_scanned')} files scanned, {len(findings)} findings, "
        f"{len(report.get('skipped', []))} skipped, exit {sample.exit_code}"
    )
    if parse_errors:
        print(f"  WARNING: {len(parse_errors)} parse-error findings: the generator wrote invalid HCL, e.g.")
        for f in parse_errors[:5]:
            print(f"    {f.get('path')}:{f.get('line')}: {f.get('message')}")
    if odd_skips:
        print(f"  WARNING: {len(odd_skips)} files skipped for an unexpected reason, e.g. {odd_skips[:3]}")
    return {
        "files_scanned": summary.get("files_scanned"),
        "findings": len(findings),
        "parse_errors": len(parse_errors),
        "skipped": len(report.get("skipped", [])),
        "exit_code": sample.exit_code,
    }


def sample_key(label: str, mode: str) -> str:
    """Key of one (binary, mode) pair in the samples dict (plain audits keep the label)."""
    return label if mode == "audit" else f"{label} {mode}"


def bench_tree(
    rg: str, binaries: dict[str, Path], tree: Tree, runs: int, scratch: Path, modes: list[str],
    snapshots: dict[str, Path] | None = None,
) -> dict[str, list[Sample]]:
    """Time rg and every (binary, mode) interleaved, runs + 1 times; drop the first
    (warm-up) round. `fix` runs each get their own fresh copy of the tree."""
    copies = {}
    if "fix" in modes:
        made = iter(fresh_copies(tree.path, (runs + 1) * len(binaries), scratch))
        copies = {(label, r): next(made) for label in binaries for r in range(runs + 1)}
    commands = {"rg": (lambda r: rg_cmd(rg, tree.path), {0, 1})}
    for label, binary in binaries.items():
        for mode in modes:
            def build(r: int, binary: Path = binary, label: str = label, mode: str = mode) -> list[str]:
                return mode_cmd(binary, copies[(label, r)] if mode == "fix" else tree.path, mode, snapshots)
            commands[sample_key(label, mode)] = (build, {0, 1, 3})
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    err_path = scratch / "run.stderr"
    for round_no in range(runs + 1):
        timings = []
        for name, (cmd, ok) in commands.items():
            s = run_child(cmd(round_no), err_path)
            check_exit(name, s, ok, err_path)
            if round_no > 0:
                samples[name].append(s)
            timings.append(f"{name} {s.seconds * 1000:.0f} ms")
        tag = "warm-up (discarded)" if round_no == 0 else f"run {round_no}/{runs}"
        print(f"  N={tree.stacks} {tag}: {', '.join(timings)}", flush=True)
    for path in copies.values():
        shutil.rmtree(path, ignore_errors=True)
    return samples


# --------------------------------------------------------------------------- report


@dataclass
class Row:
    """Figures for one (N, binary) pair."""

    stacks: int
    binary: str
    mode: str
    files: int
    mb: float
    hcl_mb: float
    rg_ms: float
    audit_ms: float
    rss_mib: float
    rg_runs_ms: list[float] = field(default_factory=list)
    audit_runs_ms: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """infra-audit median / rg median."""
        return self.audit_ms / self.rg_ms

    @property
    def files_per_s(self) -> float:
        """Files in the tree / infra-audit median seconds."""
        return self.files / (self.audit_ms / 1000)

    @property
    def mb_per_s(self) -> float:
        """MB in the tree / infra-audit median seconds."""
        return self.mb / (self.audit_ms / 1000)


def make_row(tree: Tree, label: str, mode: str, samples: dict[str, list[Sample]]) -> Row:
    """Summarise the samples of one binary and mode on one tree."""
    rg_ms = [s.seconds * 1000 for s in samples["rg"]]
    key = sample_key(label, mode)
    audit_ms = [s.seconds * 1000 for s in samples[key]]
    return Row(
        stacks=tree.stacks,
        binary=label,
        mode=mode,
        files=tree.files,
        mb=tree.mb,
        hcl_mb=tree.hcl_bytes / 1e6,
        rg_ms=statistics.median(rg_ms),
        audit_ms=statistics.median(audit_ms),
        rss_mib=max(s.maxrss_kib for s in samples[key]) / 1024,  # ru_maxrss is KiB on Linux
        rg_runs_ms=[round(x, 2) for x in rg_ms],
        audit_runs_ms=[round(x, 2) for x in audit_ms],
    )


def print_table(rows: list[Row]) -> None:
    """Print the results table."""
    header = ["N", "binary", "mode", "files", "MB", "rg ms", "infra-audit ms", "ratio", "peak RSS MiB", "files/s",
              "MB/s"]
    body = [
        [
            str(r.stacks), r.binary, r.mode, str(r.files), f"{r.mb:.1f}", f"{r.rg_ms:.1f}", f"{r.audit_ms:.1f}",
            f"{r.ratio:.2f}", f"{r.rss_mib:.1f}", f"{r.files_per_s:,.0f}", f"{r.mb_per_s:.1f}",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i in (1, 2) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print(fmt(b))


def print_spread(rows: list[Row]) -> None:
    """Print min..max of the runs: a wide spread means the machine was busy, rerun."""
    for r in rows:
        lo, hi = min(r.audit_runs_ms), max(r.audit_runs_ms)
        print(f"spread N={r.stacks} {r.binary} {r.mode}: infra-audit {lo:.0f}..{hi:.0f} ms "
              f"({(hi - lo) / r.audit_ms:.0%} of median), rg {min(r.rg_runs_ms):.0f}..{max(r.rg_runs_ms):.0f} ms")


def scale_ratios(rows: list[Row], small: int, large: int) -> dict[str, float]:
    """median(N=large) / median(N=small) per binary (plain audit)."""
    by = {(r.binary, r.stacks): r for r in rows if r.mode == "audit"}
    return {
        b: by[(b, large)].audit_ms / by[(b, small)].audit_ms
        for b in dict.fromkeys(r.binary for r in rows)
    }


def check_goals(rows: list[Row], small: int, pairs: list[tuple[int, int]]) -> list[dict]:
    """Evaluate the goals on the smallest N (ratio, RSS), the fix/diff cost at every N, and
    the scaling between consecutive stack counts (150 -> 1500 -> 15000)."""
    goals = []
    plain = {(r.binary, r.stacks): r for r in rows if r.mode == "audit"}
    for r in (r for r in rows if r.mode in ("diff", "fix")):
        vs_audit = r.audit_ms / plain[(r.binary, r.stacks)].audit_ms
        goals.append(dict(binary=r.binary, goal=f"N={r.stacks} {r.mode} / audit <= {GOAL_FIX_RATIO}",
                          value=vs_audit, ok=vs_audit <= GOAL_FIX_RATIO))
    for r in (r for r in rows if r.stacks == small and r.mode == "audit"):
        goals.append(dict(binary=r.binary, goal=f"N={small} ratio <= {GOAL_RATIO}", value=r.ratio,
                          ok=r.ratio <= GOAL_RATIO))
        goals.append(dict(binary=r.binary, goal=f"N={small} peak RSS <= {GOAL_RSS_MIB:g} MiB", value=r.rss_mib,
                          ok=r.rss_mib <= GOAL_RSS_MIB))
    for a, b in pairs:
        limit = GOAL_SCALE_SLACK * b / a
        for binary, ratio in scale_ratios(rows, a, b).items():
            goals.append(dict(binary=binary, goal=f"scale N={b}/N={a} <= {limit:g}", value=ratio, ok=ratio <= limit))
    return goals


def write_results(payload: dict) -> Path:
    """Write the JSON results file bench/results/<UTC timestamp>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Build, generate, validate, time, report."""
    args = parse_args(argv)
    rg = require_rg()
    if args.binary:
        sources = dict(zip(binary_labels(args.binary), (Path(p).resolve() for p in args.binary)))
    else:
        sources = {"release": build_release()}

    scratch = Path(tempfile.mkdtemp(prefix="infra-audit-bench-"))
    try:
        binaries = {label: snapshot_binary(src, scratch, i) for i, (label, src) in enumerate(sources.items())}
        templates = load_fixture()
        print(f"fixture: {FIXTURE.relative_to(REPO)} ({len(templates)} stacks); rg: {tool_version([rg, '--version'])}")

        cpu_busy_before = warn_if_busy()
        rows: list[Row] = []
        trees: list[Tree] = []
        validation: dict[str, dict] = {}
        for n in args.stacks:
            tree = generate_tree(scratch / f"repo-{n}", n, templates)
            trees.append(tree)
            print(f"generated N={n}: {tree.files} files, {tree.mb:.2f} MB ({tree.hcl_bytes / 1e6:.2f} MB HCL)"
                  f" at {tree.path}", flush=True)
            for label, binary in binaries.items():
                validation[f"{label}/{n}"] = validate_tree(binary, label, tree, scratch)
            modes = [m for m in args.modes if not (m == "fix" and n > args.fix_max_stacks)]
            snapshots: dict[str, Path] = {}
            if "staged" in modes:
                print(f"  staged: {prepare_staged(tree.path)}", flush=True)
            if "drift" in modes:
                modes.remove("drift")
                for count in args.objects:
                    snapshots[f"drift-{count}"] = prepare_snapshot(next(iter(binaries.values())), tree.path, count, scratch)
                    modes.append(f"drift-{count}")
                    print(f"  snapshot: {count} objects", flush=True)
            samples = bench_tree(rg, binaries, tree, args.runs, scratch, modes, snapshots)
            rows.extend(make_row(tree, label, mode, samples) for label in binaries for mode in modes)
            if not args.keep:
                shutil.rmtree(tree.path)

        print()
        print_table(rows)
        print_spread(rows)
        small, large = min(args.stacks), max(args.stacks)
        pairs = list(zip(args.stacks, args.stacks[1:]))
        scales = {f"{a}->{b}": scale_ratios(rows, a, b) for a, b in pairs}
        print()
        for (a, b) in pairs:
            for label, s in scale_ratios(rows, a, b).items():
                print(f"scale ratio {label}: median(N={b}) / median(N={a}) = {s:.2f}  (stacks x{b / a:g})")
        goals = check_goals(rows, small, pairs)
        if small != 150:
            print(f"note: the ratio and RSS goals were set for N=150; evaluated here on N={small}")
        for g in goals:
            prefix = f"[{g['binary']}] " if len(binaries) > 1 else ""
            print(f"{'PASS' if g['ok'] else 'FAIL'}  {prefix}{g['goal']}  (got {g['value']:.2f})")

        payload = {
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "git": git_revision(),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "cpu_busy_before": cpu_busy_before, "loadavg_after": list(os.getloadavg())},
            "rg": tool_version([rg, "--version"]),
            "runs": args.runs,
            "modes": args.modes,
            "binaries": {label: {"path": str(sources[label]), "sha256": sha256_prefix(binaries[label])}
                         for label in binaries},
            "trees": [{"stacks": t.stacks, "files": t.files, "bytes": t.bytes, "hcl_bytes": t.hcl_bytes}
                      for t in trees],
            "validation": validation,
            "rows": [
                {**{k: v for k, v in vars(r).items()}, "ratio": r.ratio, "files_per_s": r.files_per_s,
                 "mb_per_s": r.mb_per_s}
                for r in rows
            ],
            "scale": {"pairs": pairs, "ratios": scales},
            "goals": goals,
        }
        print(f"\nresults: {write_results(payload).relative_to(REPO)}")
        if args.keep:
            print(f"generated trees kept under {scratch}")
        failed = [g for g in goals if not g["ok"]]
        return 1 if failed and args.strict else 0
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
