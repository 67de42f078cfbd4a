"""SQuAD 1.1 reader: offsets, answer mapping, truncation, malformed structure, and the real sample."""
import json

import pytest

from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.squad import char_span_to_token_span, read_squad, tokenize_with_offsets
from elmo_eval.tasks.squad import SquadTask

CONTEXT = "It appeared to Saint Bernadette in 1858. The grotto's state-of-the-art lights shine."


def _squad_file(tmp_path, qas, context=CONTEXT, name="sample.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"version": "1.1", "data": [
        {"title": "T", "paragraphs": [{"context": context, "qas": qas}]}]}), encoding="utf-8")
    return path


def _qa(qid, question, *answers):
    return {"id": qid, "question": question,
            "answers": [{"text": text, "answer_start": start} for text, start in answers]}


def test_tokenizer_keeps_character_offsets():
    tokens, spans = tokenize_with_offsets("state-of-the-art, 1858.  Café's")
    assert tokens == ["state", "-", "of", "-", "the", "-", "art", ",", "1858", ".", "Café", "'", "s"]
    text = "state-of-the-art, 1858.  Café's"
    assert [text[s:e] for s, e in spans] == tokens


def test_char_span_mapping():
    _, spans = tokenize_with_offsets("in 1858. ok")        # in[0,2) 1858[3,7) .[7,8) ok[9,11)
    assert char_span_to_token_span(spans, 3, 7) == ((1, 1), True)
    assert char_span_to_token_span(spans, 3, 8) == ((1, 2), True)
    assert char_span_to_token_span(spans, 4, 7) == ((1, 1), False)   # "858": inside a token
    assert char_span_to_token_span(spans, 2, 3) == (None, False)     # only whitespace


def test_answers_mapped_and_off_boundary_counted(tmp_path):
    start_saint = CONTEXT.index("Saint")
    start_year = CONTEXT.index("1858")
    start_art = CONTEXT.index("of-the-art")
    path = _squad_file(tmp_path, [
        _qa("q1", "Who saw it?", ("Saint Bernadette", start_saint), ("Bernadette", start_saint + 6)),
        _qa("q2", "When?", ("858", start_year + 1)),           # not on a token boundary
        _qa("q3", "What lights?", ("of-the-art", start_art)),
    ])
    questions, report = read_squad(path)
    assert [q.id for q in questions] == ["q1", "q2", "q3"]
    q1, q2, q3 = questions
    assert q1.question_tokens == ("Who", "saw", "it", "?")
    assert q1.answers == ("Saint Bernadette", "Bernadette")
    assert q1.answer_text(*q1.span) == "Saint Bernadette"         # span = the first gold answer
    assert q2.answer_text(*q2.span) == "1858"                     # expanded to the covering token
    assert q3.answer_text(*q3.span) == "of-the-art"
    assert report.questions == 3 and report.answers == 4
    assert report.answers_off_token_boundary == 1 and report.examples == ["q2"]
    assert report.answers_text_mismatch == 0
    # all questions of a paragraph share one passage token sequence (one cache entry)
    assert q1.passage_tokens == q2.passage_tokens == q3.passage_tokens


def test_text_mismatch_and_unmappable_counted(tmp_path):
    path = _squad_file(tmp_path, [_qa("q1", "?", ("Lourdes", 0)), _qa("q2", "?", (" ", 2))])
    questions, report = read_squad(path)
    assert report.answers_text_mismatch == 1               # "Lourdes" is not at offset 0
    assert report.answers_unmappable == 1 and questions[1].span is None


def test_training_truncation_drops_answers_beyond_the_limit(tmp_path):
    context = " ".join(f"w{i}" for i in range(20))
    path = _squad_file(tmp_path, [_qa("early", "?", ("w2 w3", context.index("w2 "))),
                                  _qa("late", "?", ("w15", context.index("w15")))], context=context)
    task = SquadTask(max_passage_tokens=10)
    examples = task.read(path)
    train = task.training_instances(examples)
    assert [q.id for q in train] == ["early"]
    assert len(train[0].passage_tokens) == 10 and len(train[0].passage_spans) == 10
    assert task.training_report == {"kept": 1, "dropped_unmapped": 0, "dropped_answer_beyond_limit": 1,
                                    "truncated": 1}
    # evaluation keeps whole passages and every question
    assert [len(q.passage_tokens) for q in task.eval_instances(examples)] == [20, 20]


@pytest.mark.parametrize("data, where, expected", [
    ({"version": "1.1"}, "$", "missing key 'data'"),
    ({"data": [{"title": "x"}]}, "data[0]", "missing key 'paragraphs'"),
    ({"data": [{"paragraphs": [{"context": 3, "qas": []}]}]}, "data[0].paragraphs[0].context", "the paragraph text"),
    ({"data": [{"paragraphs": [{"context": "a b", "qas": [{"id": "x", "question": "q?"}]}]}]},
     "data[0].paragraphs[0].qas[0]", "missing key 'answers'"),
    ({"data": [{"paragraphs": [{"context": "a b", "qas": [
        {"id": "x", "question": "q?", "answers": [{"text": "a", "answer_start": 99}]}]}]}]},
     "data[0].paragraphs[0].qas[0].answers[0].answer_start", "character offset in [0, 3]"),
])
def test_malformed_structure_names_file_and_json_path(tmp_path, data, where, expected):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataFormatError) as err:
        read_squad(path)
    assert str(err.value).startswith(f"{path}:{where}: ")
    assert expected in str(err.value)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"data": [\n  {"title": "x",,}\n]}')
    with pytest.raises(DataFormatError, match=rf"{path.name}:2: invalid JSON"):
        read_squad(path)


def test_real_sample(formats_dir):
    questions, report = read_squad(formats_dir / "squad.json")
    assert len(questions) == report.questions > 0
    assert report.answers_text_mismatch == 0
    first = questions[0]
    assert first.id == "5733be284776f41900661182"
    assert first.answer_text(*first.span) == "Saint Bernadette Soubirous"
    for q in questions:
        if q.span is not None and report.answers_off_token_boundary == 0:
            assert q.answer_text(*q.span) == q.answers[0]
