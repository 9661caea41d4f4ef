#!/usr/bin/env bash
# Runs every benchmark in one go; results go to stdout (record them in bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build bench/SemiSeg.Bench -c Release -v q -nologo
bench=bench/SemiSeg.Bench/bin/Release/net10.0/semiseg-bench
echo "== speed"; $bench speed --height 256 --width 512 --batch 2 --iterations 3
echo "== step-memory"; $bench step-memory --height 256 --width 512 --batch 4
echo "== memory-over-steps"; $bench memory-over-steps --steps 500
dotnet build bench/SemiSeg.Orchestration.Bench -c Release -v q -nologo
orch=bench/SemiSeg.Orchestration.Bench/bin/Release/net10.0/semiseg-orchestration-bench
echo "== orchestration overhead (no-op runs)"; $orch overhead --runs 10000 --silos 4 --slots 4
echo "== orchestration overhead (50 ms runs)"; $orch overhead --runs 2000 --silos 4 --slots 4 --run-ms 50
echo "== recovery"; $orch recovery --kills 10
echo "== recovery with a full queue"; $orch recovery --queue --kills 10
dotnet build bench/SemiSeg.Reports.Bench -c Release -v q -nologo
reports=bench/SemiSeg.Reports.Bench/bin/Release/net10.0/semiseg-reports-bench
echo "== reports (2,000 cells x 5 seeds)"; $reports --rows 40 --columns 50 --seeds 5
echo "== reports (200 cells x 50 seeds)"; $reports --rows 20 --columns 10 --seeds 50
