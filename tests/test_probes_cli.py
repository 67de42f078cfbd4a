"""``elmo-eval probe`` end to end on the tiny world, and its usage errors."""
from __future__ import annotations

import json

import pytest

from elmo_eval.cli import main
from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.encoders.official_format import export_official

TINY_BILM = {
    "lstm": {"use_skip_connections": True, "projection_dim": 8, "cell_clip": 3, "proj_clip": 3, "dim": 16,
             "n_layers": 2},
    "char_cnn": {"activation": "relu", "filters": [[1, 8], [2, 8]], "n_highway": 1,
                 "embedding": {"dim": 4}, "n_characters": 262, "max_characters_per_token": 50},
}


@pytest.mark.slow   # generates the tiny world and its PPMI vectors: 20-100 s on the shared 2-core machine
def test_probe_command_writes_per_layer_tables_and_a_result_file(tmp_path, capsys):
    bilm = tmp_path / "bilm"
    export_official(ElmoBiLM.from_options(TINY_BILM, seed=0), bilm)
    out = tmp_path / "out"
    code = main(["probe", "--bilm", str(bilm), "--world-size", "tiny", "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(out), "--no-progress", "--pos-epochs", "1"])
    printed = capsys.readouterr().out
    assert code == 0
    for heading in ("Word sense disambiguation", "POS tagging", "Nearest neighbours"):
        assert heading in printed
    for row in ("| word vectors |", "| layer 0 |", "| layer 1 |", "| layer 2 |"):
        assert printed.count(row) >= 2, row   # in the WSD and the POS table
    result = json.loads((out / "probes-world-bilm.json").read_text())
    assert result["rows"] == ["word vectors", "layer 0", "layer 1", "layer 2"]
    assert result["encoder"]["fingerprint"] and result["vectors"]["fingerprint"]
    assert result["data"]["name"] == "world" and result["data"]["sizes"]["train"]["sentences"] == 120
    wsd = result["probes"]["wsd"]["rows"]
    assert 0 < wsd["layer 1"]["score"]["total"] == wsd["word vectors"]["score"]["total"]
    assert result["paper"]["wsd_f1_table5"]["biLM, second layer"] == 69.0
    assert (out / "probes-world-bilm.md").read_text().startswith("# Probes: bilm on world")


def test_usage_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    ner = tmp_path / "conll2003"
    ner.mkdir()
    for name in ("train.txt", "test.txt"):
        (ner / name).write_text("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n")
    # no encoder is loaded (or pretrained) before the data is checked
    assert main(["probe", "--data", str(ner), "--probe", "wsd"]) == 2
    assert main(["probe", "--data", str(tmp_path / "missing")]) == 2
    assert main(["probe", "--bilm", str(tmp_path / "no-bilm"), "--data", str(ner)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("elmo-eval probe: error:") for line in errors)
    assert "no word-sense targets" in errors[0] and "does not exist" in errors[1]
    with pytest.raises(SystemExit):
        main(["probe", "--probe", "srl"])
