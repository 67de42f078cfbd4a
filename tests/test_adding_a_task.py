"""docs/adding-a-task.md, run as written: its spec files and its task module are taken from the page."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from test_runner_end_to_end import TINY_BILM

from elmo_eval.encoders.bilm import ElmoBiLM
from elmo_eval.runner.api import reproduce
from elmo_eval.specs import SpecError, load_spec

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-a-task.md"


def doc_files() -> dict[str, str]:
    """Every fenced block of the page whose first line is ``# file: NAME``."""
    blocks = re.findall(r"```(?:toml|python)\n# file: (\S+)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return {name: body for name, body in blocks}


@pytest.fixture
def written(tmp_path, monkeypatch):
    files = doc_files()
    assert set(files) == {"sst2.toml", "tsv_sentiment.py", "tsv-sentiment.toml"}
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("tsv_sentiment", None)


def test_one_spec_file_reuses_format_head_and_metric(written, tmp_path):
    spec = load_spec(written / "sst2.toml")
    assert spec.build_task().binary and spec.has_world_data
    out = tmp_path / "results"
    summary = reproduce("default", tasks=[str(written / "sst2.toml")], tables=["table1"], hp_profile="tiny",
                        encoder=ElmoBiLM.from_options(TINY_BILM, seed=0), encoder_name="tiny", use_world=True,
                        world_size="tiny", out_dir=out, cache_dir=tmp_path / "cache", progress=False,
                        significance_samples=20)
    assert summary["finished"] == 2
    assert "| sst2 |" in (out / "tiny" / "table1.md").read_text()
    # a misspelt key is caught when the spec loads
    (written / "bad.toml").write_text((written / "sst2.toml").read_text().replace("pre_encode_dim", "pre_encode_dmi"))
    with pytest.raises(SpecError, match="did you mean 'pre_encode_dim'"):
        load_spec(written / "bad.toml")


def test_a_new_format_is_a_reader_a_task_and_a_spec(written, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    words = {"positive": ["good", "great", "fine"], "negative": ["bad", "awful", "poor"]}
    for split, count in (("train", 60), ("dev", 20), ("test", 20)):
        lines = [f"{label}\tthe film was {words[label][i % 3]} today"
                 for i in range(count) for label in ("positive", "negative")]
        (data / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec_file = str(written / "tsv-sentiment.toml")
    encoder = ElmoBiLM.from_options(TINY_BILM, seed=0)
    out = tmp_path / "results"
    # real data: the word-only baseline needs word vectors (a GloVe-format file)
    glove = tmp_path / "vectors.txt"
    glove.write_text("".join(f"{w} " + " ".join(f"{(i * 7 + j) % 5 / 5:.1f}" for j in range(8)) + "\n"
                             for i, w in enumerate(["the", "film", "was", "today", *sum(words.values(), [])])))
    summary = reproduce("default", tasks=[spec_file], tables=["table1"], hp_profile="tiny", encoder=encoder,
                        encoder_name="tiny", glove=glove, data_roots={"tsv-sentiment": data}, out_dir=out,
                        cache_dir=tmp_path / "cache", progress=False, significance_samples=20)
    assert summary["finished"] == 2
    for path in out.glob("runs/*/tsv-sentiment/*/result.json"):
        record = json.loads(path.read_text())
        assert record["data_source"]["kind"] == "real" and record["metrics"]["test"]["accuracy"] >= 50.0
    assert "| tsv-sentiment |" in (out / "tiny" / "table1.md").read_text()
    # no [data.world]: the embedded default skips it with one line instead of failing
    skipped = reproduce("default", tasks=[spec_file], tables=["table1"], hp_profile="tiny", encoder=encoder,
                        use_world=True, world_size="tiny", out_dir=tmp_path / "w", cache_dir=tmp_path / "cache",
                        progress=False, dry_run=True)
    assert skipped["runs"] == 0 and "tsv-sentiment: skipped: the generated world has no data" in capsys.readouterr().err
    # a malformed line names the file and the line
    (data / "dev.tsv").write_text("positive\tfine\nno tab here\n")
    from tsv_sentiment import read_tsv

    with pytest.raises(ValueError, match=r"dev.tsv:2: expected 'label<TAB>sentence'"):
        read_tsv(data / "dev.tsv")
