"""DDP with two CPU processes (gloo), run through the CLI in a subprocess: Lightning's DDP
launcher re-runs the command line for the second rank, which it cannot do inside pytest."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.pretrain.synthetic import write_corpus

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_ddp_two_cpu_processes_train_and_export(tmp_path: Path) -> None:
    train = write_corpus(tmp_path / "train.txt", 640, seed=0)
    heldout = write_corpus(tmp_path / "heldout.txt", 100, seed=1)
    out = tmp_path / "out"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(PROJECT_ROOT))
    command = [sys.executable, "-m", "elmo_eval.pretrain.cli", "pretrain", "--train", str(train),
               "--heldout", str(heldout), "--out", str(out), "--preset", "tiny", "--epochs", "1",
               "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", "--no-progress"]
    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
                               check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads((out / "pretrain_result.json").read_text())
    assert result["world_size"] == 2
    # 640 sentences, batch 32, 2 ranks: 10 steps per rank per epoch.
    assert result["global_step"] == 10
    # 10 steps: far from converged, but well below the uniform guess (perplexity = vocabulary size).
    assert result["heldout_perplexity"][-1]["heldout_ppl"] < 0.7 * result["vocab_size"]
    bilm = ElmoBiLM.from_official(result["options"], result["weights"])
    assert bilm.fingerprint() == result["fingerprint"]
