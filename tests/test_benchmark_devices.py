"""``--device cpu|cuda`` of ``benchmarks/encoder_speed.py`` and ``benchmarks/pretrain_speed.py``.

Nothing here needs a GPU or allocates on one: without CUDA, ``--device cuda`` says so and writes
nothing; with ``torch.cuda`` faked, the device helpers of ``benchmarks/_device.py`` hand out a CUDA
device, synchronise the timed regions on it and record it; and a tiny ``--device cpu`` run of each
benchmark still writes the JSON it wrote before, with the same top-level keys. The benchmark scripts
are loaded from their files (``benchmarks/`` is not a package); their ``from _device import ...``
finds the helper module registered in ``sys.modules`` for the test.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = PROJECT_ROOT / "benchmarks"
CPU, CUDA = torch.device("cpu"), torch.device("cuda")  # a device object only: nothing is allocated on it

# The top-level keys the CPU runs wrote before --device existed (results/benchmarks/*.json).
ENCODER_SPEED_KEYS = ["machine", "note", "tokens_per_sentence", "quick", "matmul_gflops_2048_at_start",
                      "matmul_gflops_2048_after_sweep", "matmul_gflops_bound", "full_size",
                      "cache_vs_recompute_full_size", "fixture_model", "loadavg_at_end", "total_run_s"]
PRETRAIN_SPEED_KEYS = ["torch", "machine", "cpu_count", "load_average_before", "load_average_after", "note",
                       "target_small_words_per_second", "goal", "results"]
# encoder_speed.py's architecture shrunk to seconds (the char ids keep their 50 characters).
TINY_OPTIONS = {
    "lstm": {"cell_clip": 3, "use_skip_connections": True, "n_layers": 2, "proj_clip": 3, "projection_dim": 8,
             "dim": 16},
    "char_cnn": {"embedding": {"dim": 4}, "filters": [[1, 4], [2, 8]], "n_highway": 1, "n_characters": 262,
                 "max_characters_per_token": 50, "activation": "relu"},
}


def _skip_line(benchmark: str) -> str:
    return (f"{benchmark}: --device cuda: no CUDA device on this machine (torch {torch.__version__}, built with "
            f"CUDA: {torch.version.cuda or 'none'}); skipped, nothing written")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def device_helpers(monkeypatch):
    """``benchmarks/_device.py``, registered as ``_device`` for the benchmark scripts (until the test ends)."""
    module = _load("_device")
    monkeypatch.setitem(sys.modules, "_device", module)
    return module


@pytest.fixture
def benchmark(device_helpers):
    """``benchmark("encoder_speed")``: the script's module, loaded from its file."""
    return _load


@pytest.fixture(autouse=True)
def _torch_threads_kept():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    """``torch.cuda`` says a device is there; ``synchronize`` calls are recorded in the returned list."""
    calls: list = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Faked GPU 80GB")
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    return calls


# ---------------------------------------------------------------------------- no CUDA: skip, write nothing
@pytest.mark.parametrize("name, argv", [
    ("encoder_speed", ["--quick"]),
    ("encoder_speed", ["--against-allennlp", "no-such-checkout"]),
    ("pretrain_speed", ["--steps", "1"]),
])
def test_cuda_without_a_gpu_skips_and_writes_nothing(name, argv, benchmark, no_cuda, tmp_path, capsys):
    output = tmp_path / "out.json"
    option = "--output" if name == "encoder_speed" else "--out"
    assert benchmark(name).main([*argv, "--device", "cuda", option, str(output)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [_skip_line(name)]
    assert list(tmp_path.iterdir()) == []


def test_cuda_without_a_gpu_default_outputs_not_written(benchmark, no_cuda, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # pretrain_speed's default output is relative to the working directory
    defaults = [PROJECT_ROOT / "results" / "benchmarks" / name
                for name in ("encoder_speed_cuda.json", "encoder_vs_allennlp_cuda.json")]
    before = {path: path.exists() for path in defaults}
    assert benchmark("encoder_speed").main(["--device", "cuda"]) == 0
    assert benchmark("pretrain_speed").main(["--device", "cuda"]) == 0
    assert capsys.readouterr().err.splitlines() == [_skip_line("encoder_speed"), _skip_line("pretrain_speed")]
    assert {path: path.exists() for path in defaults} == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, option", [("encoder_speed", "--output"), ("pretrain_speed", "--out")])
def test_cuda_without_a_gpu_exits_0_as_a_script(name, option, tmp_path):
    """The script itself (``from _device import`` found beside it): no CUDA device visible, exit status 0."""
    output = tmp_path / "out.json"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{name}.py"), "--device", "cuda", option, str(output)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [_skip_line(name)]
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- a faked CUDA device
def test_helpers_with_a_faked_gpu(device_helpers, fake_cuda, capsys):
    device = device_helpers.pick_device("cuda", "encoder_speed")
    assert isinstance(device, torch.device) and device.type == "cuda"
    assert capsys.readouterr().err == ""
    device_helpers.synchronize(device)
    device_helpers.synchronize(CPU)  # a no-op on the CPU
    assert fake_cuda == [device]
    record = device_helpers.device_record(device)["device"]
    assert record["type"] == "cuda" and record["name"] == "Faked GPU 80GB"
    assert record["torch"] == torch.__version__ and record["cuda"] == torch.version.cuda
    assert "synchronize" in record["note"] and "threads: null" in record["note"]
    json.dumps(record)  # goes into the JSON as it is
    assert device_helpers.output_path("results/benchmarks/encoder_speed.json", device) == \
        Path("results/benchmarks/encoder_speed_cuda.json")
    assert device_helpers.thread_counts([1, 2], device, "pretrain_speed") == [None]
    assert "thread counts do not apply on cuda" in capsys.readouterr().out
    assert device_helpers.threads_label(None) == "no thread count"


def test_helpers_on_the_cpu_change_nothing(device_helpers, capsys):
    device = device_helpers.pick_device("cpu", "encoder_speed")
    assert device == CPU
    assert device_helpers.device_record(device) == {}
    assert device_helpers.output_path("results/benchmarks/pretrain_speed.json", device) == \
        Path("results/benchmarks/pretrain_speed.json")
    assert device_helpers.thread_counts([1, 2], device, "pretrain_speed") == [1, 2]
    assert device_helpers.threads_label(2) == "2 thread(s)"
    assert capsys.readouterr().out == ""


def test_timed_regions_end_with_a_synchronize(benchmark, fake_cuda):
    """The timing helpers of both benchmarks synchronise the device before each clock reading
    (the work itself runs on the CPU here: only the device object says cuda)."""
    encoder_speed = benchmark("encoder_speed")
    encoder_speed._timed(lambda: None, CUDA)
    assert fake_cuda == [CUDA, CUDA]
    fake_cuda.clear()
    encoder_speed.time_call(lambda: None, 2, device=CUDA)
    assert fake_cuda == [CUDA] * 4
    fake_cuda.clear()
    pretrain_speed = benchmark("pretrain_speed")
    model = nn.Linear(3, 1)
    trainee = pretrain_speed._Trainee(model.parameters(), lambda batch: model(batch).sum(), 1.0, CUDA)
    wall, cpu = trainee.step(torch.ones(2, 3))
    assert fake_cuda == [CUDA, CUDA] and wall >= 0 and cpu >= 0


# ---------------------------------------------------------------------------- the CPU runs as before
def test_encoder_speed_quick_cpu_run_writes_the_same_keys(benchmark, monkeypatch, tmp_path):
    encoder_speed = benchmark("encoder_speed")
    monkeypatch.setattr(encoder_speed, "FULL_OPTIONS", TINY_OPTIONS)
    monkeypatch.setattr(encoder_speed, "SHARED_FIXTURE", tmp_path / "no-fixture")
    monkeypatch.setattr(encoder_speed, "measure_matmul_gflops",
                        functools.partial(encoder_speed.measure_matmul_gflops, size=128))
    threads_set = []
    monkeypatch.setattr(encoder_speed, "set_threads", threads_set.append)  # the test stays at one thread
    output = tmp_path / "encoder_speed.json"
    assert encoder_speed.main(["--quick", "--device", "cpu", "--output", str(output)]) == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    assert list(report) == ENCODER_SPEED_KEYS
    assert threads_set == [2] and report["machine"]["threads"] == 2
    assert [row["batch_size"] for row in report["full_size"]["batch_sweep"]] == [32, 64]
    assert report["full_size"]["at_32x20"]["max_abs_diff_vs_reference"] < 1e-4
    assert report["fixture_model"].startswith("skipped")


def test_pretrain_speed_tiny_cpu_run_writes_the_same_keys(benchmark, tmp_path):
    output = tmp_path / "pretrain_speed.json"
    assert benchmark("pretrain_speed").main(
        ["--threads", "1", "--steps", "1", "--presets", "tiny", "--device", "cpu", "--out", str(output)]) == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    assert list(report) == PRETRAIN_SPEED_KEYS
    [row] = report["results"]
    assert row["threads"] == 1 and row["preset"] == "tiny" and row["timed_steps"] == 1
    assert row["wall"]["elmo_words_per_second"] > 0
