#!/usr/bin/env bash
# The test command: set-up, build, run every test project, then print "N passed, N failed" as the last line.
# Exit status is non-zero when the build or any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?

dotnet build SemiSegOrleans.sln -c Release -v q -nologo || exit $?

# Azurite (Azure Storage emulator) for the storage and cluster tests, stopped again on any exit. If its default ports
# are taken (e.g. another checkout is testing), SEMISEG_AZURITE stays unset and the tests start their own on free ports.
bash scripts/azurite.sh install || exit $?
trap 'bash scripts/azurite.sh stop' EXIT
if azurite_env=$(bash scripts/azurite.sh start); then
  eval "$azurite_env"
else
  echo "warning: Azurite did not start on its default ports; the tests start their own" >&2
fi

# A throw-away PostgreSQL for the membership tests (installed from Debian's postgresql package if missing).
trap 'bash scripts/azurite.sh stop; bash scripts/postgres.sh stop' EXIT
if postgres_env=$(bash scripts/postgres.sh start); then
  eval "$postgres_env"
else
  echo "warning: PostgreSQL did not start on its default port; the tests start their own" >&2
fi

log=$(mktemp)
status=0
dotnet test SemiSegOrleans.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log" || status=$?
bash scripts/azurite.sh stop
bash scripts/postgres.sh stop
trap - EXIT

# dotnet test prints one summary line per test assembly, e.g.
#   Passed!  - Failed:     0, Passed:    47, Skipped:     0, Total:    47, Duration: 1 s - X.Tests.dll (net10.0)
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" \
  | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "error: no test ran" >&2
  status=1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
