#!/usr/bin/env bash
# The main job: set-up, build, then a small real training run (Mean Teacher + PhTPS on FashionScenes, ~2 minutes on
# 2 cores) that prints its mIoU next to the all-background reference. Outputs land in runs/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/SemiSeg.Cli -c Release -v q -nologo
rm -rf runs/quickstart
dotnet src/SemiSeg.Cli/bin/Release/net10.0/semiseg.dll train --config sweeps/examples/tiny-fashionscenes-mt-phtps.yaml --out runs/quickstart "$@"
