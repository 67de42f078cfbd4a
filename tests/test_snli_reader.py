"""SNLI 1.0 JSONL reader and the accuracy metric."""
import json

import pytest

from elmo_eval.metrics.accuracy import accuracy
from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.snli import binary_parse_leaves, read_snli


def _line(label="entailment", pair_id="p1", **extra):
    record = {"gold_label": label, "pairID": pair_id, "sentence1": "A man sleeps.", "sentence2": "A man rests."}
    record.update(extra)
    return json.dumps(record)


def test_binary_parse_leaves():
    assert binary_parse_leaves("( ( A person ) ( ( is ( at ( a diner ) ) ) . ) )") == \
        ["A", "person", "is", "at", "a", "diner", "."]


def test_reads_pairs_drops_no_gold_and_prefers_parse_tokens(tmp_path):
    path = tmp_path / "snli.jsonl"
    path.write_text("\n".join([
        _line(),
        _line("-", "p2"),
        "",
        _line("contradiction", "p3", sentence1_binary_parse="( ( A man ) ( sleeps . ) )"),
        json.dumps({"gold_label": "neutral", "sentence1": "x y", "sentence2": "z"}),
    ]) + "\n")
    pairs, report = read_snli(path)
    assert report.dropped_no_gold == 1 and report.pairs == 3
    assert [p.pair_id for p in pairs] == ["p1", "p3", "line5"]
    assert [p.label for p in pairs] == ["entailment", "contradiction", "neutral"]
    assert pairs[0].premise == ("A", "man", "sleeps.")           # no parse: whitespace tokens
    assert pairs[1].premise == ("A", "man", "sleeps", ".")       # leaves of the binary parse
    assert pairs[1].line_no == 4


@pytest.mark.parametrize("line, expected", [
    ('{"gold_label": "entailment", "sentence1": "a"', "invalid JSON"),
    (json.dumps({"gold_label": "entailment", "sentence1": "a b"}), "missing key(s) ['sentence2']"),
    (_line("maybe"), "unknown gold_label 'maybe'"),
    ('["not", "an", "object"]', "expected a JSON object"),
    (_line(sentence2="   "), "non-empty"),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text(_line() + "\n" + line + "\n")
    with pytest.raises(DataFormatError) as err:
        read_snli(path)
    assert str(err.value).startswith(f"{path}:2: ")
    assert expected in str(err.value)


def test_real_samples(formats_dir):
    pairs, report = read_snli(formats_dir / "snli.jsonl")
    assert report.dropped_no_gold == 0 and len(pairs) == 3
    assert pairs[0].pair_id == "3416050480.jpg#4r1n" and pairs[0].label == "neutral"
    assert pairs[0].premise[:5] == ("A", "person", "on", "a", "horse")
    assert pairs[0].hypothesis[-1] == "."
    # snli2's parse says "seahorse" where the sentence says "horse": tokens follow the parse
    pairs2, _ = read_snli(formats_dir / "snli2.jsonl")
    assert "seahorse" in pairs2[0].premise and "horse" not in pairs2[0].premise


def test_accuracy():
    assert accuracy(["a", "b", "c", "a"], ["a", "c", "c", "b"]) == 50.0
    with pytest.raises(ValueError, match="3 vs 2"):
        accuracy(["a", "b"], ["a", "b", "c"])
    with pytest.raises(ValueError):
        accuracy([], [])
