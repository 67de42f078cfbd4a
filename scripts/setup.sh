#!/usr/bin/env bash
# Create .venv and install elmo-eval with its dependencies.
#
# torch is pinned here (not in pyproject) so a CPU machine never pulls a multi-GB CUDA build:
#   TORCH_SPEC="torch==2.13.0"   default (CPU wheel)
#   TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu124"   e.g. for a GPU box
#   TORCH_SPEC=skip              keep whatever torch the environment already has
# PYTHON picks the interpreter (default python3), VENV the folder (default .venv).
# A second call with nothing changed skips pip: the install is stamped with a digest of pyproject.toml,
# setup.py, TORCH_SPEC and the interpreter; SETUP_FORCE=1 installs again regardless.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
STAMP="$VENV/.elmo-eval-setup"
WANT="$( { cat pyproject.toml setup.py; echo "$TORCH_SPEC"; python -VV; } | sha256sum | cut -d' ' -f1)"
# The stamp alone is not trusted: the package must also still import from this checkout (a moved or
# re-cloned tree with an old .venv gets a fresh editable install).
if [ "${SETUP_FORCE:-0}" != "1" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
   && [ "$(cd / && python -c 'import os, elmo_eval; print(os.path.dirname(os.path.dirname(os.path.realpath(elmo_eval.__file__))))' 2>/dev/null)" = "$(pwd -P)" ]; then
  echo "[setup] $VENV is up to date (nothing changed since its install; SETUP_FORCE=1 installs again)"
else
  rm -f "$STAMP"
  if [ "$TORCH_SPEC" != "skip" ]; then
    # shellcheck disable=SC2086
    python -m pip install -q $TORCH_SPEC
  fi
  python -m pip install -q -e ".[dev]"
  echo "$WANT" > "$STAMP"
fi
echo "[setup] ready: $(python -c 'import torch, pytorch_lightning as pl; print(f"torch {torch.__version__}, lightning {pl.__version__}")')"
