#!/usr/bin/env bash
# The main job: set-up, build, then a small real sweep on the embedded default (an in-process silo, local store):
# supervised vs simple-Ph consistency on FashionScenes with 8 labeled scenes, an ImageNet-pretrained SwiftNet-RN18,
# 5 seeds (10 trainings of 120 steps; sweeps/quickstart.yaml says how it was chosen and what it is expected to show),
# ending in the mean ± std table with the paired comparison (measured from a fresh clone on 2 cores, build included:
# 5 min 37 s; README shows the table). Outputs land in runs/quickstart/ (report/report.md).
# Running it again reuses finished runs (resume = submit again); delete runs/quickstart to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/SemiSeg.Cli -c Release -v q -nologo
dotnet src/SemiSeg.Cli/bin/Release/net10.0/semiseg.dll run sweeps/quickstart.yaml --out runs/quickstart --slots 2 "$@"
