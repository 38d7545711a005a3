#!/usr/bin/env bash
# Static checks of what `docker compose up` would run (no Docker engine
# here): Prometheus config valid, dashboards use the provisioned datasource
# uid and only metric names strata exports, compose file valid where
# docker-compose is installed, and the compose services consistent with the
# image and the binaries: each runs a binary the Dockerfile copies, with
# flags that binary has, and Prometheus scrapes each at its metrics port.
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
import pathlib, re, subprocess, sys, yaml
src, bin_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
compose = yaml.safe_load((src / "docker-compose.yml").read_text())
dockerfile = (src / "deploy/Dockerfile").read_text()
copied = set(re.findall(r"/src/build/bin/(strata[a-z-]*)", dockerfile))
default_entry = re.search(r'ENTRYPOINT \["([a-z-]+)"\]', dockerfile).group(1)
default_cmd = re.findall(r'"(--[^"]+)"', re.search(r"CMD \[(.*)\]", dockerfile).group(1))
problems, metrics_at = [], set()
for name, service in compose["services"].items():
    if "build" not in service and service.get("image") != "strata:latest":
        continue  # prometheus, grafana
    binary = (service.get("entrypoint") or [default_entry])[0]
    args = service.get("command") or default_cmd
    if binary not in copied:
        problems.append(f"{name}: runs {binary}, which deploy/Dockerfile does not copy")
        continue
    helpfull = subprocess.run([str(bin_dir / binary), "--helpfull"], capture_output=True, text=True).stdout
    for arg in args:
        flag = arg.split("=", 1)[0]
        if not re.search(rf"^\s+{re.escape(flag)} ", helpfull, re.M):
            problems.append(f"{name}: {binary} has no flag {flag}")
        if flag == "--metrics_address":
            metrics_at.add(f"{name}:{arg.rsplit(':', 1)[1]}")
prometheus = yaml.safe_load((src / "deploy/prometheus/prometheus.yml").read_text())
scraped = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
for missing in sorted(metrics_at - scraped):
    problems.append(f"Prometheus does not scrape {missing}")
for stray in sorted(scraped - metrics_at):
    problems.append(f"Prometheus scrapes {stray}, where nothing serves /metrics")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"compose services ok; Prometheus scrapes {sorted(scraped)}")
PY
if command -v docker-compose >/dev/null; then
  (cd "$SRC" && docker-compose config -q) && echo "docker-compose.yml ok"
else
  echo "docker-compose not installed: compose file not validated"
fi
echo PASS
