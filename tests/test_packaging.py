"""A wheel (not only an editable install) carries the task specs, and finds them once installed.

The wheel is built offline from a copy of the sources (pyproject.toml, setup.py, README.md,
elmo_eval/, tasks/) so the checkout gets no build/ or egg-info folder; "installing" it is
unpacking it into a folder that then stands alone on ``sys.path``. The full check, a
``pip install .`` into a fresh venv and ``elmo-eval reproduce --dry-run`` from elsewhere, is
too slow for a test (it installs torch); the lead's report says how it was run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "elmo_eval", "tasks")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (PROJECT_ROOT / name).is_dir():
            shutil.copytree(PROJECT_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(PROJECT_ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                           "-w", str(out), "-q"], capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0 and "No module named pip" in done.stderr:
        pytest.skip("pip is not available in this interpreter")
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("elmo_eval-*.whl")
    return path


@pytest.mark.slow
def test_wheel_holds_every_task_spec(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {Path(n).name: archive.read(n) for n in names if n.startswith("elmo_eval/task_specs/")}
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    expected = {p.name: p.read_bytes() for p in (PROJECT_ROOT / "tasks").glob("*.toml")}
    assert expected and shipped == expected
    assert "elmo_eval/cli.py" in names and "elmo_eval/tools_cli.py" in names
    assert not any(n.startswith(("tasks/", "tests/")) for n in names)
    assert "Requires-Dist: tomli>=1.1; python_version < \"3.11\"" in metadata
    assert "Requires-Dist: filelock" in metadata


@pytest.mark.slow
def test_installed_wheel_finds_its_specs_outside_a_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = ("import json, elmo_eval.specs as s; "
             "print(json.dumps([str(s.SPEC_DIR), s.available_specs(), s.load_spec('ner').name]))")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ELMO_EVAL_TASKS")}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONPATH": str(site)}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    spec_dir, names, loaded = json.loads(done.stdout)
    assert Path(spec_dir) == site / "elmo_eval" / "task_specs"
    assert names == sorted(p.stem for p in (PROJECT_ROOT / "tasks").glob("*.toml")) and loaded == "ner"
    # the override still wins
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONPATH": str(site), "ELMO_EVAL_TASKS": str(PROJECT_ROOT / "tasks")},
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(json.loads(done.stdout)[0]) == PROJECT_ROOT / "tasks"
