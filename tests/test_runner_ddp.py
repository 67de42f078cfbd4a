"""The runner with two CPU processes (gloo): Lightning's DDP launcher re-runs the command line for the
second rank, so every rank walks the plan; only rank 0 may write results, clean up and report."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.official_format import export_official

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TINY_BILM = {
    "lstm": {"use_skip_connections": True, "projection_dim": 8, "cell_clip": 3, "proj_clip": 3, "dim": 16,
             "n_layers": 2},
    "char_cnn": {"activation": "relu", "filters": [[1, 4], [2, 4], [3, 8]], "n_highway": 1,
                 "embedding": {"dim": 4}, "n_characters": 262, "max_characters_per_token": 50},
}


@pytest.mark.slow
def test_two_processes_write_one_complete_result_per_run(tmp_path: Path) -> None:
    bilm_dir = tmp_path / "bilm"
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), bilm_dir)
    out = tmp_path / "results"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(PROJECT_ROOT))
    command = [sys.executable, "-m", "elmo_eval", "reproduce", "--bilm", str(bilm_dir), "--world",
               "--world-size", "tiny", "--tasks", "topic", "--tables", "table1", "--seeds", "1",
               "--hp-profile", "tiny", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
               "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", "--no-progress",
               "--significance-samples", "50"]
    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                               check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = sorted(out.glob("runs/*/topic/*/result.json"))
    assert len(results) == 2  # the baseline and the +ELMo run, each written once
    for path in results:
        record = json.loads(path.read_text())
        assert record["metrics"]["test"]["accuracy"] > 0 and record["metrics"]["dev"]["accuracy"] > 0
        assert not list(path.parent.glob(".*.partial"))
    assert (out / "leaderboard.md").exists()
    assert completed.stdout.count('"finished"') == 1  # one summary: rank 1 printed nothing
    assert not list((tmp_path / "cache" / "work").rglob("*.ckpt"))  # work folders cleaned up
