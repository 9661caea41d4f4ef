#!/usr/bin/env bash
# The main job: set-up, build, then a small real sweep on the embedded default (an in-process silo, local store):
# supervised vs simple-PhTPS vs MT-PhTPS on FashionScenes at label fractions 1/8 and 1/4, 2 seeds each (12 trainings,
# about 5 minutes on 2 cores), ending in the mean ± std table. Outputs land in runs/quickstart/ (report/table.md).
# Running it again reuses finished runs (resume = submit again); delete runs/quickstart to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/SemiSeg.Cli -c Release -v q -nologo
dotnet src/SemiSeg.Cli/bin/Release/net10.0/semiseg.dll run sweeps/quickstart.yaml --out runs/quickstart --slots 2 "$@"
