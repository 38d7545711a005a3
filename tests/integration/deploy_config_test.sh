#!/usr/bin/env bash
# Static checks of what `docker compose up` would run (no Docker engine
# here): Prometheus config valid, dashboards use the provisioned datasource
# uid and only metric names strata exports, compose file valid where
# docker-compose is installed.
#   deploy_config_test.sh SOURCE_DIR
set -euo pipefail
SRC="$1"
command -v promtool >/dev/null || { echo "promtool not installed: skipped"; exit 77; }
promtool check config "$SRC/deploy/prometheus/prometheus.yml"
python3 - "$SRC" <<'PY'
import json, pathlib, re, sys
src = pathlib.Path(sys.argv[1])
# Metric names the code registers (prometheus-cpp .Name("...")).
exported = set()
for cc in list(src.glob("services/**/*.cc")):
    exported |= set(re.findall(r'\.Name\("(strata_[a-z_]+)"\)', cc.read_text()))
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
                if name not in exported:
                    problems.append(f"{path.name}: panel '{panel['title']}' queries {name}, which nothing exports")
if problems:
    print("\n".join(problems)); sys.exit(1)
print(f"dashboards ok; exported metrics: {sorted(exported)}")
PY
if command -v docker-compose >/dev/null; then
  (cd "$SRC" && docker-compose config -q) && echo "docker-compose.yml ok"
else
  echo "docker-compose not installed: compose file not validated"
fi
echo PASS
