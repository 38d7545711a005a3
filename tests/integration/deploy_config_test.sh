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
            for name in re.findall(r"strata_[a-z_]+", target["expr"]):
                # A histogram's series carry suffixes its registered name does not.
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                if name not in exported and base not in exported:
                    problems.append(f"{path.name}: panel '{panel['title']}' queries {name}, which nothing exports")
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
        helps[binary] = subprocess.run([str(bin_dir / binary), "--helpfull"], capture_output=True, text=True).stdout
    return re.search(rf"^\s+{re.escape(flag)} ", helps[binary], re.M) is not None
def port_of(arg):
    return int(arg.rsplit(":", 1)[1])
problems = []

# docker-compose.yml: each strata service runs a copied binary with flags it
# has, and Prometheus scrapes exactly the metrics ports served.
compose = yaml.safe_load((src / "docker-compose.yml").read_text())
default_entry = re.search(r'ENTRYPOINT \["([a-z-]+)"\]', dockerfile).group(1)
default_cmd = re.findall(r'"(--[^"]+)"', re.search(r"CMD \[(.*)\]", dockerfile).group(1))
metrics_at = set()
for name, service in compose["services"].items():
    if "build" not in service and service.get("image") != "strata:latest":
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
        for probe in ("readinessProbe", "livenessProbe"):
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
if command -v docker-compose >/dev/null; then
  (cd "$SRC" && docker-compose config -q) && echo "docker-compose.yml ok"
else
  echo "docker-compose not installed: compose file not validated"
fi
echo PASS
