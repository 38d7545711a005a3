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
            # and counters are plotted as rates over time.
            for name in re.findall(r"strata_(?:llm|kernel|nand|ssd)_[a-z_]+", expr):
                if not re.search(re.escape(name) + r'\{[^}]*sim_job=~"\$sim_job"', expr):
                    problems.append(f"{path.name}: panel '{panel['title']}' does not filter {name} by $sim_job")
            # An instant query (a bar of totals now) may read a counter as
            # is: a per-job counter's value is that job's total so far.
            for name in re.findall(r"strata_[a-z_]+_total\b", expr):
                if not target.get("instant") and not re.search(r"rate\(" + re.escape(name), expr):
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
default_cmd = re.findall(r'"(--[^"]+)"', re.search(r"^CMD \[(.*)\]", dockerfile.replace("\\\n", " "), re.M).group(1))
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
            probe_cmd = c.get(probe, {}).get("exec", {}).get("command", [])
            if probe_cmd[:2] == ["strata", "health"]:  # TLS: Kubernetes' gRPC probe cannot
                for arg in probe_cmd[2:]:
                    if not has_flag("strata", arg.split("=", 1)[0]):
                        problems.append(f"{where}: {probe}: strata has no flag {arg.split('=', 1)[0]}")
                    if arg.startswith("--server="):
                        port = port_of(arg)
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
        startup = c.get("startupProbe", {})
        if d["kind"] == "Deployment" and "grpc" not in startup \
                and startup.get("exec", {}).get("command", [])[:2] != ["strata", "health"]:
            problems.append(f"{where}: container {c['name']} has no startupProbe through the gRPC health service")
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
python3 - "$SRC" <<'PY'
# Security (docs/security.md): whatever listens beyond its container speaks
# TLS from mounted secrets; the coordinator authenticates (tokens, service
# certificates); services check one service name; only loopback ports are
# published; a NetworkPolicy denies by default; secrets stay out of git and
# the image; scripts/make_certs.sh makes certificates that fit the names
# the deploy files use.
import pathlib, re, subprocess, sys, tempfile, yaml
src = pathlib.Path(sys.argv[1])
problems = []
dockerfile = (src / "deploy/Dockerfile").read_text().replace("\\\n", " ")
default_cmd = re.findall(r'"(--[^"]+)"', re.search(r"^CMD \[(.*)\]", dockerfile, re.M).group(1))
def flags(args):
    return dict(a.split("=", 1) if "=" in a else (a, "") for a in args if a.startswith("--"))
def check_server(where, binary, args, mounts):
    f = flags(args)
    host = f.get("--listen", "127.0.0.1:0").rsplit(":", 1)[0]
    if host.startswith("127.") or host in ("localhost", "[::1]"):
        return
    for flag in ("--tls_cert", "--tls_key", "--tls_ca"):
        path = f.get(flag)
        if not path:
            problems.append(f"{where}: listens on {host} without {flag}")
        elif not any(path.startswith(m.rstrip("/") + "/") for m in mounts):
            problems.append(f"{where}: {flag}={path} is not on a mounted volume ({sorted(mounts)})")
    if "--allow_insecure_listen" in f:
        problems.append(f"{where}: --allow_insecure_listen in a deploy file")
    if binary == "strata-coordinator":
        for flag in ("--auth_token_file", "--service_cert_names"):
            if not f.get(flag):
                problems.append(f"{where}: the coordinator runs without {flag}")
    if f.get("--tls_service_name") != "strata-service":
        problems.append(f"{where}: --tls_service_name is {f.get('--tls_service_name')!r}, not strata-service")

compose = yaml.safe_load((src / "docker-compose.yml").read_text())
for name, service in compose["services"].items():
    for port in service.get("ports", []):
        if not str(port).startswith("127.0.0.1:"):
            problems.append(f"docker-compose.yml: {name} publishes {port} beyond the host's loopback")
    if not str(service.get("image", "")).startswith("strata:"):
        continue
    binary = (service.get("entrypoint") or ["strata-coordinator"])[0]
    mounts = {v.split(":")[1] for v in service.get("volumes", []) if v.count(":") >= 1}
    check_server(f"docker-compose.yml: {name}", binary, service.get("command") or default_cmd, mounts)
    for v in service.get("volumes", []):
        if v.startswith("./deploy/secrets/") and not v.endswith(":ro"):
            problems.append(f"docker-compose.yml: {name} mounts secrets writable: {v}")

docs = []
for path in sorted((src / "deploy/k8s").glob("*.yaml")):
    if path.name != "kustomization.yaml":
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
policies = [d for _, d in docs if d["kind"] == "NetworkPolicy"]
if not any(p["spec"].get("podSelector") == {} and "ingress" not in p["spec"] for p in policies):
    problems.append("deploy/k8s: no default-deny NetworkPolicy (podSelector {}, no ingress rules)")
kustomized = yaml.safe_load((src / "deploy/k8s/kustomization.yaml").read_text())["resources"]
for file, d in docs:
    if d["kind"] == "NetworkPolicy" and file not in kustomized:
        problems.append(f"deploy/k8s: {file} is not in kustomization.yaml")
def selects(policy, labels):
    sel = policy["spec"].get("podSelector", {})
    if any(labels.get(k) != v for k, v in sel.get("matchLabels", {}).items()):
        return False
    return all(labels.get(e["key"]) in e["values"] for e in sel.get("matchExpressions", []) if e["operator"] == "In")
for file, d in docs:
    if d["kind"] != "Deployment":
        continue
    where = f"{file}: {d['kind']} {d['metadata']['name']}"
    template = d["spec"]["template"]
    labels = template["metadata"]["labels"]
    opened = {p["port"] for pol in policies if selects(pol, labels) for rule in pol["spec"].get("ingress", [])
              for p in rule.get("ports", [])}
    for c in template["spec"]["containers"]:
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        check_server(where, c["command"][0], c.get("args", []), mounts)
        for port in c.get("ports", []):
            if port["containerPort"] not in opened:
                problems.append(f"{where}: no NetworkPolicy lets anything reach port {port['containerPort']}")
    for v in template["spec"].get("volumes", []):
        if "secret" in v and not v["secret"]["secretName"].startswith("strata-"):
            problems.append(f"{where}: volume {v['name']} mounts secret {v['secret']['secretName']}")

if "/deploy/secrets/" not in (src / ".gitignore").read_text().split():
    problems.append(".gitignore does not exclude /deploy/secrets/")
if "deploy/secrets/" not in (src / ".dockerignore").read_text().split():
    problems.append(".dockerignore does not keep deploy/secrets/ out of the image")

# The certificates scripts/make_certs.sh makes verify against its CA and
# name what the deploy files dial: the coordinator by its compose and k8s
# names and 127.0.0.1 (health checks), the services by strata-service.
with tempfile.TemporaryDirectory() as tmp:
    out = subprocess.run(["bash", str(src / "scripts/make_certs.sh"), tmp, "2"], capture_output=True, text=True)
    if out.returncode != 0:
        problems.append(f"scripts/make_certs.sh failed: {out.stderr}")
    else:
        tmp = pathlib.Path(tmp)
        for role, names in (("coordinator", ["DNS:coordinator", "DNS:strata-coordinator", "IP Address:127.0.0.1"]),
                            ("service", ["DNS:strata-service", "IP Address:127.0.0.1"])):
            cert = tmp / role / "tls.crt"
            if subprocess.run(["openssl", "verify", "-CAfile", str(tmp / "ca.crt"), str(cert)],
                              capture_output=True).returncode != 0:
                problems.append(f"make_certs.sh: {role}/tls.crt does not verify against ca.crt")
            text = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-text"], capture_output=True,
                                  text=True).stdout
            for n in names:
                if n not in text:
                    problems.append(f"make_certs.sh: {role}/tls.crt does not name {n}")
            if role == "service" and "CN = strata-service" not in text:
                problems.append("make_certs.sh: the service certificate's CN is not strata-service")
        tokens = [l.split() for l in (tmp / "coordinator/tokens").read_text().splitlines() if l and l[0] != "#"]
        if sorted(t[1:] for t in tokens) != [["admin", "admin"], ["user"]] or any(len(t[0]) < 32 for t in tokens):
            problems.append(f"make_certs.sh: tokens file is not one admin and one user with long tokens: {tokens}")
        if (tmp / "client/token").read_text().split() != [t[0] for t in tokens if t[1] == "user"]:
            problems.append("make_certs.sh: client/token is not the user token")
if problems:
    print("\n".join(problems)); sys.exit(1)
print("security ok: TLS on every non-loopback listener, authentication on, loopback-only ports, "
      f"{len(policies)} NetworkPolicies, certificates from make_certs.sh fit the deploy names")
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
