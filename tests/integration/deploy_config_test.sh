#!/usr/bin/env bash
# Static checks of what `docker compose up` would run (no Docker engine
# here): Prometheus config valid, dashboards use the provisioned datasource
# uid and only metric names strata exports, compose file valid where
# docker-compose is installed, and the compose services consistent with the
# image and the binaries: each runs a binary the Dockerfile copies, with
# flags that binary has, and Prometheus scrapes each at its metrics port;
# likewise the Kubernetes manifests in deploy/k8s (binaries, flags, env,
# ports, probes, volumes, selectors, the Services they dial).
#   deploy_config_test.sh SOURCE_DIR BIN_DIR
set -euo pipefail
SRC="$1"
BIN="$2"
command -v promtool >/dev/null || { echo "promtool not installed: skipped"; exit 77; }
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml not installed: skipped"; exit 77; }
promtool check config "$SRC/deploy/prometheus/prometheus.yml"
python3 - "$SRC" <<'PY'
import json, pathlib, re, sys
src = pathlib.Path(sys.argv[1])
# Metric names the code registers: prometheus-cpp .Name("..."), and the
# names in tables such as the model figures' (string literals strata_...).
exported = set()
for cc in list(src.glob("services/**/*.cc")):
    exported |= set(re.findall(r'"(strata_[a-z_]+)"', cc.read_text()))
assert exported, "found no exported metric names"
problems = []
for path in (src / "dashboards").glob("*.json"):
    dash = json.loads(path.read_text())
    for panel in dash["panels"]:
        for obj in [panel] + panel.get("targets", []):
            uid = obj.get("datasource", {}).get("uid")
            if uid != "strata-prometheus":
                problems.append(f"{path.name}: panel '{panel['title']}' uses datasource uid {uid!r}")
        for target in panel.get("targets", []):
            expr = target["expr"]
            # One job at a time: per-job series follow the sim_job variable,
            # and counters are plotted as rates.
            for name in re.findall(r"strata_(?:llm|kernel|nand|ssd)_[a-z_]+", expr):
                if not re.search(re.escape(name) + r'\{[^}]*sim_job=~"\$sim_job"', expr):
                    problems.append(f"{path.name}: panel '{panel['title']}' does not filter {name} by $sim_job")
            for name in re.findall(r"strata_[a-z_]+_total\b", expr):
                if not re.search(r"rate\(" + re.escape(name), expr):
                    problems.append(f"{path.name}: panel '{panel['title']}' plots counter {name} without rate()")
            for name in re.findall(r"strata_[a-z_]+", target["expr"]):
                # A histogram's series carry suffixes its registered name does not.
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                if name not in exported and base not in exported:
                    problems.append(f"{path.name}: panel '{panel['title']}' queries {name}, which nothing exports")
    variables = [v["name"] for v in dash.get("templating", {}).get("list", [])]
    if "sim_job" not in variables:
        problems.append(f"{path.name}: no sim_job templating variable (variables: {variables})")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"dashboards ok; exported metrics: {sorted(exported)}")
PY
python3 - "$SRC" "$BIN" <<'PY'
# Compose and deploy/k8s: no Docker engine or cluster here, so both are
# checked against the image, the binaries and each other.
import pathlib, re, shlex, subprocess, sys, yaml
src, bin_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
dockerfile = (src / "deploy/Dockerfile").read_text()
copied = set(re.findall(r"/src/build/bin/(strata[a-z-]*)", dockerfile))
helps = {}
def has_flag(binary, flag):
    if binary not in helps:
        helps[binary] = subprocess.run([str(bin_dir / binary), "--help"], capture_output=True, text=True).stdout
    return re.search(rf"^\s+{re.escape(flag)}=", helps[binary], re.M) is not None
def port_of(arg):
    return int(arg.rsplit(":", 1)[1])
problems = []

# docker-compose.yml: each strata service runs a copied binary with flags it
# has, and Prometheus scrapes exactly the metrics ports served.
compose = yaml.safe_load((src / "docker-compose.yml").read_text())
default_entry = re.search(r'ENTRYPOINT \["([a-z-]+)"\]', dockerfile).group(1)
default_cmd = re.findall(r'"(--[^"]+)"', re.search(r"^CMD \[(.*)\]", dockerfile, re.M).group(1))
metrics_at = set()
for name, service in compose["services"].items():
    if "build" not in service and not str(service.get("image", "")).startswith("strata:"):
        continue  # prometheus, grafana
    binary = (service.get("entrypoint") or [default_entry])[0]
    args = service.get("command") or default_cmd
    if binary not in copied:
        problems.append(f"{name}: runs {binary}, which deploy/Dockerfile does not copy")
        continue
    for arg in args:
        flag = arg.split("=", 1)[0]
        if not has_flag(binary, flag):
            problems.append(f"{name}: {binary} has no flag {flag}")
        if flag == "--metrics_address":
            metrics_at.add(f"{name}:{port_of(arg)}")
prometheus = yaml.safe_load((src / "deploy/prometheus/prometheus.yml").read_text())
scraped = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
for missing in sorted(metrics_at - scraped):
    problems.append(f"Prometheus does not scrape {missing}")
for stray in sorted(scraped - metrics_at):
    problems.append(f"Prometheus scrapes {stray}, where nothing serves /metrics")

# deploy/k8s: binaries, flags, env references, ports, probes, volumes,
# selectors, and the Services the containers dial.
docs = []
for path in sorted((src / "deploy/k8s").glob("*.yaml")):
    if path.name != "kustomization.yaml":  # kubectl kustomize reads it (below)
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
services = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "Service"}
claims = {d["metadata"]["name"] for _, d in docs if d["kind"] == "PersistentVolumeClaim"}
pod_labels = []
for file, d in docs:
    where = f"{file}: {d['kind']} {d['metadata']['name']}"
    if "apiVersion" not in d:
        problems.append(f"{where}: no apiVersion")
    if d["kind"] not in ("Deployment", "Job"):
        continue
    template = d["spec"]["template"]
    labels = template["metadata"].get("labels", {})
    pod_labels.append(labels)
    selector = d["spec"].get("selector", {}).get("matchLabels", {})
    if any(labels.get(k) != v for k, v in selector.items()):
        problems.append(f"{where}: selector {selector} does not match the pod labels {labels}")
    pod = template["spec"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for v in volumes.values():
        claim = v.get("persistentVolumeClaim", {}).get("claimName")
        if claim and claim not in claims:
            problems.append(f"{where}: volume {v['name']} claims {claim}, which no manifest defines")
    for c in pod["containers"]:
        if not c["image"].startswith("strata:"):
            continue
        command, args = c.get("command", []), c.get("args", [])
        if command[:2] == ["sh", "-c"]:
            tokens = shlex.split(args[0].split("&&")[0])
            binary, argv = tokens[0], tokens[1:]
        else:
            binary, argv = command[0], args
        if binary not in copied:
            problems.append(f"{where}: runs {binary}, which deploy/Dockerfile does not copy")
            continue
        env = {e["name"] for e in c.get("env", [])}
        ports = {p["containerPort"] for p in c.get("ports", [])}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            port = c.get(probe, {}).get("grpc", {}).get("port")
            if port is not None and port not in ports:
                problems.append(f"{where}: {probe} checks port {port}, which the container does not expose")
        for mount in c.get("volumeMounts", []):
            if mount["name"] not in volumes:
                problems.append(f"{where}: mounts volume {mount['name']}, which the pod does not define")
        for arg in argv:
            if not arg.startswith("--"):
                continue
            flag, _, value = arg.partition("=")
            if not has_flag(binary, flag):
                problems.append(f"{where}: {binary} has no flag {flag}")
            for var in re.findall(r"\$\((\w+)\)", value):
                if var not in env:
                    problems.append(f"{where}: {flag} uses $({var}), which the container's env does not define")
            if flag in ("--listen", "--metrics_address") and port_of(value) not in ports:
                problems.append(f"{where}: {flag} port {port_of(value)} is not a containerPort")
            if flag == "--metrics_address":
                annotated = template["metadata"].get("annotations", {}).get("prometheus.io/port")
                if annotated != str(port_of(value)):
                    problems.append(f"{where}: prometheus.io/port is {annotated}, metrics are on {port_of(value)}")
            if flag in ("--coordinator", "--server"):
                name, port = value.rsplit(":", 1)
                svc = services.get(name)
                if svc is None or int(port) not in [p["port"] for p in svc["spec"]["ports"]]:
                    problems.append(f"{where}: {flag}={value} names no Service port")
for name, svc in services.items():
    selector = svc["spec"]["selector"]
    if not any(all(l.get(k) == v for k, v in selector.items()) for l in pod_labels):
        problems.append(f"Service {name}: selector {selector} matches no pod template")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"compose services ok; Prometheus scrapes {sorted(scraped)}")
print(f"k8s manifests ok: {len(docs)} objects")
PY
python3 - "$SRC" <<'PY'
# The containers' hardening, checked statically: one versioned image built
# once, a non-root user, health checks through the gRPC health service,
# and on Kubernetes a namespace, resources, a restricted securityContext,
# startup probes and a shared-volume Indexed Job for sharded sweeps.
import pathlib, re, sys, yaml
src = pathlib.Path(sys.argv[1])
version = re.search(r"project\(strata VERSION ([0-9.]+)", (src / "CMakeLists.txt").read_text()).group(1)
image = f"strata:{version}"
problems = []

ignored = (src / ".dockerignore").read_text().split()
for needed in ("build/", ".git"):
    if needed not in ignored:
        problems.append(f".dockerignore does not exclude {needed}")
dockerfile = (src / "deploy/Dockerfile").read_text()
user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
if not user or user[-1].split(":")[0] in ("0", "root"):
    problems.append(f"deploy/Dockerfile: the image runs as root (USER {user})")
health = re.search(r"^HEALTHCHECK .*CMD \[(.*)\]", dockerfile.replace("\\\n", " "), re.M)
if not health or '"strata", "health"' not in health.group(1):
    problems.append("deploy/Dockerfile: no HEALTHCHECK through `strata health`")
if f"-t {image}" not in dockerfile:
    problems.append(f"deploy/Dockerfile: the build command does not tag {image}")

def listen_port(args):
    for a in args:
        if a.startswith("--listen="):
            return int(a.rsplit(":", 1)[1])
    return 7700  # the Dockerfile's CMD
compose = yaml.safe_load((src / "docker-compose.yml").read_text())
strata_services = {n: s for n, s in compose["services"].items() if str(s.get("image", "")).startswith("strata:")}
built = [n for n, s in strata_services.items() if "build" in s]
if len(built) != 1:
    problems.append(f"docker-compose.yml: {len(built)} services build the strata image ({built}); one should")
for name, service in strata_services.items():
    if service["image"] != image:
        problems.append(f"docker-compose.yml: {name} runs {service['image']}, not {image}")
    if "build" not in service and service.get("pull_policy") != "never":
        problems.append(f"docker-compose.yml: {name} may try to pull {image} (no pull_policy: never)")
    test = service.get("healthcheck", {}).get("test", [])
    port = listen_port(service.get("command") or [])
    if test[:3] != ["CMD", "strata", "health"] or f"--server=127.0.0.1:{port}" not in test:
        problems.append(f"docker-compose.yml: {name} has no `strata health` check of its port {port}: {test}")

docs = []
for path in sorted((src / "deploy/k8s").glob("*.yaml")):
    if path.name != "kustomization.yaml":  # kubectl kustomize reads it (below)
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
namespaces = {d["metadata"]["name"] for _, d in docs if d["kind"] == "Namespace"}
if namespaces != {"strata"}:
    problems.append(f"deploy/k8s: namespaces {namespaces}, expected one named strata")
indexed = []
for file, d in docs:
    if d["kind"] in ("Kustomization", "Namespace"):
        continue
    where = f"{file}: {d['kind']} {d['metadata']['name']}"
    if d["metadata"].get("namespace") != "strata":
        problems.append(f"{where}: not in namespace strata")
    if d["kind"] not in ("Deployment", "Job"):
        continue
    pod = d["spec"]["template"]["spec"]
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True or pod_security.get("runAsUser", 0) == 0:
        problems.append(f"{where}: the pod may run as root ({pod_security})")
    for c in pod["containers"]:
        if c["image"] != image:
            problems.append(f"{where}: runs image {c['image']}, not {image}")
        res = c.get("resources", {})
        if not res.get("requests", {}).get("cpu") or not res.get("requests", {}).get("memory") \
                or not res.get("limits", {}).get("memory"):
            problems.append(f"{where}: container {c['name']} lacks cpu/memory requests or a memory limit")
        sec = c.get("securityContext", {})
        if sec.get("allowPrivilegeEscalation") is not False or sec.get("readOnlyRootFilesystem") is not True \
                or "ALL" not in sec.get("capabilities", {}).get("drop", []):
            problems.append(f"{where}: container {c['name']} is not restricted (no privilege escalation, "
                            f"read-only root, drop ALL): {sec}")
        if d["kind"] == "Deployment" and "grpc" not in c.get("startupProbe", {}):
            problems.append(f"{where}: container {c['name']} has no gRPC startupProbe")
    if d["kind"] == "Job" and d["spec"].get("completionMode") == "Indexed":
        indexed.append(d["metadata"]["name"])
        spec, c = d["spec"], pod["containers"][0]
        shard = next((a for a in c.get("args", []) if a.startswith("--shard=")), "")
        n = re.fullmatch(r"--shard=\$\(JOB_COMPLETION_INDEX\)/(\d+)", shard)
        if not n or int(n.group(1)) != spec["completions"]:
            problems.append(f"{where}: --shard ({shard!r}) does not split the grid into completions={spec['completions']}")
        env = {e["name"]: e for e in c.get("env", [])}
        ref = env.get("JOB_COMPLETION_INDEX", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")
        if "job-completion-index" not in ref:
            problems.append(f"{where}: JOB_COMPLETION_INDEX does not come from the completion-index annotation")
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v]
        shared = [x["metadata"]["name"] for _, x in docs
                  if x["kind"] == "PersistentVolumeClaim" and x["metadata"]["name"] in claims
                  and "ReadWriteMany" in x["spec"]["accessModes"]]
        if not shared:
            problems.append(f"{where}: the shards' results are not on a ReadWriteMany volume")
if not indexed:
    problems.append("deploy/k8s: no Indexed Job for a sharded sweep")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"containers ok: image {image}, non-root, health checks; k8s hardened; Indexed Jobs {indexed}")
PY
if command -v kubectl >/dev/null; then
  kubectl kustomize "$SRC/deploy/k8s" >/dev/null && echo "kubectl kustomize deploy/k8s ok"
fi
if command -v docker-compose >/dev/null; then
  (cd "$SRC" && docker-compose config -q) && echo "docker-compose.yml ok"
else
  echo "docker-compose not installed: compose file not validated"
fi
echo PASS
