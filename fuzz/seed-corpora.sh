#!/bin/sh
# Seeds the fuzz corpora (fuzz/corpus/<target>/) from the repository's fixtures.
# Run from anywhere; safe to re-run (files are named by content hash). The corpora
# are not committed (fuzz/.gitignore).
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
cd "$repo"

# seed TARGET FILE...: copies each file into the target's corpus under its hash.
seed() {
    target=$1
    shift
    dir="$fuzz/corpus/$target"
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$dir/$(sha1sum "$f" | cut -c1-16)"
    done
}

hcl=$(find fixtures/terragrunt-homelab fixtures/fix rules/terragrunt-homelab/tests \
    -type f \( -name '*.tf' -o -name '*.hcl' -o -name '*.tfvars' \) | sort)
fix_before=$(find fixtures/fix -path '*/before/*' -type f | sort)
yaml=$(find fixtures rules -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
json=$(find fixtures/cluster -type f -name '*.json' | sort)
toml=$(find fixtures -type f -name '.infra-audit.toml' | sort)
suppressed=$(grep -rl 'infra-audit:ignore' fixtures rules tests 2>/dev/null | sort)

# shellcheck disable=SC2086 # word splitting of the file lists is intended
{
    seed hcl_rules $hcl
    seed hcl_parse_diff $hcl
    seed fix_roundtrip $fix_before
    seed suppressions $hcl $suppressed
    seed yaml_rules $yaml
    seed snapshot_drift $json
    seed config_and_pack $toml rules/*.yaml
}

# The syntax the fixtures hold little of, for hcl_parse_diff: templates, directives,
# heredocs, splats, for expressions, operators, comments in odd places, CRLF.
h="$fuzz/corpus/hcl_parse_diff"
cat > "$h/templates" <<'HCL'
a = "x-${var.y}-z $${esc} %%{esc} \n \" \\ \u00e9"
b = "${~ x ~} %{ if c }yes%{ else }no%{ endif } %{ for k, v in m ~}${k}=${v}%{ endfor }"
c = <<EOF
hello ${name} { braces }
EOF
d = <<-EOT
    %{ for x in xs ~}
    ${x}
    %{ endfor ~}
    EOT
HCL
cat > "$h/expressions" <<'HCL'
a = a + b * c - d / e % f == g && h || !i
b = x ? -1 : - 2.5e3
c = [for x in y : x if x != ""]
d = {for k, v in m : k => v...}
e = a.0.b[*].c.*.d[0]["x"]
f = provider::p::f(1, merge(
  local.x, { "k" : 2, (var.k) = 3 }, # c
)...)
g = { a = 1, b : 2
  c = 18446744073709551616 }
HCL
printf 'a { b = 1 }\r\nc "d" e {}\r\n# x\r\n// y\r\n/* z */ f = 1' > "$h/blocks-crlf"

# A few Kubernetes/Flux documents: the fixtures hold little plain YAML.
y="$fuzz/corpus/yaml_rules"
cat > "$y/deployment" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: apps
spec:
  replicas: 1
  strategy:
    type: RollingUpdate
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:latest
          volumeMounts:
            - name: data
              mountPath: /data
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: data
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: apps
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: nfs
  resources:
    requests:
      storage: 1Gi
YAML
cat > "$y/flux-kustomization" <<'YAML'
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps
  prune: true
  targetNamespace: apps
  postBuild:
    substitute:
      APP: app
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${APP}
spec:
  chart:
    spec:
      chart: app
      version: 1.2.3
YAML
cat > "$y/kustomize" <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - app.yaml
components:
  - ../components/volsync
YAML

for t in hcl_rules hcl_parse_diff yaml_rules snapshot_drift config_and_pack suppressions fix_roundtrip; do
    printf '%s: %s files\n' "$t" "$(find "$fuzz/corpus/$t" -type f | wc -l)"
done
