"""``--encoder KIND:...`` specs: parsing, each loader, the Python worked example of docs/encoders.md,
and several encoders in one reproduction."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from elmo_eval.cache import LayerCache
from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.official_format import export_official
from elmo_eval.encoders.spec import EncoderSpecError, load_encoder, parse_encoder_spec
from elmo_eval.runner.encoders import run_device

DOCS = Path(__file__).resolve().parents[1] / "docs" / "encoders.md"
TINY_BILM = {
    "lstm": {"use_skip_connections": True, "projection_dim": 8, "cell_clip": 3, "proj_clip": 3, "dim": 16,
             "n_layers": 1},
    "char_cnn": {"activation": "relu", "filters": [[1, 4], [2, 4]], "n_highway": 1,
                 "embedding": {"dim": 4}, "n_characters": 262, "max_characters_per_token": 50},
}


@pytest.fixture
def worked_example(tmp_path) -> Path:
    """The ``my_encoder.py`` code block of docs/encoders.md, written to a file."""
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(r"<!-- worked-example: my_encoder.py -->\n```python\n(.*?)```", text, re.S)
    assert found, "docs/encoders.md lost its worked example"
    path = tmp_path / "my_encoder.py"
    path.write_text(found.group(1), encoding="utf-8")
    return path


@pytest.fixture
def bilm_dir(tmp_path) -> Path:
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), tmp_path / "my-bilm")
    return tmp_path / "my-bilm"


@pytest.mark.parametrize("text, message", [
    ("glove:vectors.txt", "KIND one of"),
    ("hf", "KIND one of"),
    ("elmo:options.json", "expected elmo:OPTIONS.json,WEIGHTS.hdf5"),
    ("bilm:", "expected bilm:DIR"),
    ("hf:model,pieces", "is not key=value"),
    ("hf:model,depth=3", "unknown option 'depth'"),
    ("python:module_without_factory", "expected python:MODULE:FACTORY"),
    ("bilm:dir,name=has space", "name must be"),
])
def test_malformed_specs_are_one_line_errors(text, message):
    with pytest.raises(EncoderSpecError, match=re.escape(message)) as caught:
        parse_encoder_spec(text)
    assert "\n" not in str(caught.value) and text in str(caught.value)


def test_spec_shapes():
    spec = parse_encoder_spec("hf:some/model,pieces=mean,window=128,name=m")
    assert (spec.kind, spec.parts, spec.options) == ("hf", ("some/model",), {"pieces": "mean", "window": "128",
                                                                           "name": "m"})
    assert parse_encoder_spec("python:pkg/enc.py:make,dim=3").parts == ("pkg/enc.py:make",)
    assert parse_encoder_spec("elmo:a.json,b.hdf5").parts == ("a.json", "b.hdf5")


def test_elmo_and_bilm_specs_load_the_same_weights(bilm_dir):
    reference = ElmoBiLM.from_official(bilm_dir / "options.json", bilm_dir / "weights.hdf5").fingerprint()
    name, encoder, description = load_encoder(f"bilm:{bilm_dir}")
    assert name == "my-bilm" and encoder.fingerprint() == reference and not encoder.training
    assert description == {"kind": "bilm", "folder": "my-bilm", "fingerprint": reference,
                           "parameters": sum(p.numel() for p in encoder.parameters()), "layers": 2, "dim": 16}
    name, _, description = load_encoder(f"elmo:{bilm_dir}/options.json,{bilm_dir}/weights.hdf5,name=official")
    assert name == "official" and description["fingerprint"] == reference
    assert str(bilm_dir) not in json.dumps(description)  # result files carry no machine paths
    with pytest.raises(EncoderSpecError, match="does not exist"):
        load_encoder(f"bilm:{bilm_dir}/missing")


def test_python_worked_example_from_the_docs(worked_example):
    name, encoder, description = load_encoder(f"python:{worked_example}:make_encoder,dim=8")
    assert name == "my_encoder-make_encoder" and (encoder.num_layers, encoder.output_dim) == (2, 8)
    assert description["kind"] == "python" and description["factory"] == "my_encoder.py:make_encoder"
    assert description["arguments"] == {"dim": "8"} and not encoder.training
    sentences = [["a", "tiny", "encoder"], ["of", "words"], ["x"]]
    layers, mask = encoder.embed(sentences)
    assert layers.shape == (3, 2, 3, 8) and mask.sum().item() == 6
    alone, _ = encoder.embed([sentences[1]])  # no dependence on the batch's padding
    torch.testing.assert_close(alone[0], layers[1, :, :2])
    # embed returns tensors that require grad; the cache computes them under no_grad
    assert layers.requires_grad
    with LayerCache.build(worked_example.parent / "layers.h5", encoder, sentences, progress=False) as cache:
        torch.testing.assert_close(torch.from_numpy(cache.get(sentences[0])), layers[0].detach(), atol=1e-3,
                                   rtol=1e-3)
    # same seed, same weights, same fingerprint
    assert load_encoder(f"python:{worked_example}:make_encoder,dim=8").description["fingerprint"] == \
        description["fingerprint"]


def test_python_spec_from_an_importable_module(worked_example, monkeypatch):
    monkeypatch.syspath_prepend(str(worked_example.parent))
    name, encoder, _ = load_encoder("python:my_encoder:CharGruEncoder,name=gru")
    assert name == "gru" and encoder.output_dim == 16
    with pytest.raises(EncoderSpecError, match="has no callable 'nothing'"):
        load_encoder("python:my_encoder:nothing")
    with pytest.raises(EncoderSpecError, match="cannot import"):
        load_encoder("python:no_such_module_here:make")
    with pytest.raises(EncoderSpecError, match="failed"):
        load_encoder("python:my_encoder:make_encoder,width=3")
    (worked_example.parent / "broken_encoder.py").write_text("def make():\n    return object()\n")
    with pytest.raises(EncoderSpecError, match="does not meet the encoder contract: needs embed, fingerprint"):
        load_encoder("python:broken_encoder:make")


def test_run_device():
    assert run_device(None) == "cpu" and run_device({"accelerator": "cpu"}) == "cpu"
    assert run_device({"accelerator": "gpu"}) == "cuda"


def test_cli_usage_errors_exit_2_in_one_line(tmp_path, capsys):
    from elmo_eval.cli import main

    for argv in (["--encoder", "glove:x"], ["--encoder", "bilm:x", "--options", "o.json"],
                 ["--encoder", "bilm:a", "--encoder", "bilm:b", "--encoder-name", "n"],
                 ["--encoder", f"bilm:{tmp_path}/missing", "--world"]):
        assert main(["reproduce", *argv, "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("elmo-eval reproduce: error:") and err.count("\n") == 1, err


def test_parsing_a_spec_imports_no_torch():
    code = ("import sys; from elmo_eval.encoders.spec import parse_encoder_spec; "
            "parse_encoder_spec('hf:x,pieces=mean'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_two_encoders_in_one_reproduction(worked_example, bilm_dir, tmp_path):
    from elmo_eval.runner.api import reproduce

    summary = reproduce("default", tasks=["ner"], tables=["table1"], world_size="tiny", out_dir=tmp_path / "results",
                        cache_dir=tmp_path / "cache", progress=False, significance_samples=20,
                        encoder_specs=[f"python:{worked_example}:make_encoder,name=char-gru", f"bilm:{bilm_dir}"],
                        use_world=True)
    assert summary["encoders"] == {"char-gru": 2, "my-bilm": 2}
    for name, kind in (("char-gru", "python"), ("my-bilm", "bilm")):
        results = sorted((tmp_path / "results" / "runs" / name / "ner").glob("*/result.json"))
        assert len(results) == 1  # its +ELMo run; the baseline reads no encoder and is shared
        assert json.loads(results[0].read_text())["encoder_description"]["kind"] == kind
    assert len(list((tmp_path / "results" / "runs").glob("baseline-*/ner/*/result.json"))) == 1
    assert len(list((tmp_path / "cache" / "layers").glob("*/ner.float16.h5"))) == 2  # one cache per encoder
