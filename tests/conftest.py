"""Shared pytest fixtures.

Tests that need the reference fixtures in ``../shared`` (beside the project
root) skip with a clear reason when it is absent: a user's clone has none, CI
has it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ELMO_EVAL_SHARED", PROJECT_ROOT.parent / "shared"))

# Test models are tiny: one thread is as fast as two for them and never oversubscribes a
# shared 2-core machine (measured: 2-thread runs slowed down many times under load).
torch.set_num_threads(1)
# ... and `reproduce` trains its runs in this process, one after another, unless a test asks for
# --jobs: in-process runs are what the other tests patch and inspect (tests/test_runner_parallel.py
# covers the worker processes).
os.environ.setdefault("ELMO_EVAL_JOBS", "1")


def _shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference fixtures are only present in CI and the "
                    "developers' checkout (../shared beside the project root)")
    return path


@pytest.fixture
def elmo_fixture_dir() -> Path:
    """``../shared/fixtures/elmo``: AllenNLP's small test biLM and its expected outputs."""
    return _shared_path("fixtures", "elmo")


@pytest.fixture
def formats_dir() -> Path:
    """``../shared/fixtures/formats``: real samples of every official data format."""
    return _shared_path("fixtures", "formats")
