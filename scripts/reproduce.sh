#!/usr/bin/env bash
# Runs one CPU-scale reproduction sweep (sweeps/cpu/NAME.yaml) on the embedded default and publishes its report under
# docs/results/cpu-NAME/report/ (the hand-written comparison with the paper, docs/results/cpu-NAME/README.md, is kept).
# Usage: bash scripts/reproduce.sh consistency-variants|label-proportions|... [semiseg run options]
# Outputs go to ${SEMISEG_RUNS:-runs}/cpu-NAME; running it again resumes there (finished runs are reused).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
if [ -z "$name" ] || [ ! -f "sweeps/cpu/$name.yaml" ]; then
  echo "error: '${name}' is not a CPU-scale manifest. Fix: name one of: $(ls sweeps/cpu | grep -v '^base-' | sed 's/\.yaml$//' | tr '\n' ' ')" >&2
  exit 2
fi
shift
out="${SEMISEG_RUNS:-runs}/cpu-$name"
bash scripts/setup.sh
dotnet build src/SemiSeg.Cli -c Release -v q -nologo
dotnet src/SemiSeg.Cli/bin/Release/net10.0/semiseg.dll run "sweeps/cpu/$name.yaml" --out "$out" --slots 2 "$@"
mkdir -p "docs/results/cpu-$name"
rm -rf "docs/results/cpu-$name/report"
cp -r "$out/report" "docs/results/cpu-$name/report"
echo "report: docs/results/cpu-$name/report/report.md"
