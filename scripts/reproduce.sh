#!/usr/bin/env bash
# Set everything up, then run the main job: `elmo-eval reproduce` (embedded default unless told otherwise).
# Extra arguments go to `elmo-eval reproduce`, e.g. `--profile full` or `--options O --weights W`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. "${VENV:-.venv}/bin/activate"
exec elmo-eval reproduce "$@"
