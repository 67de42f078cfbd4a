"""Format checks accept real samples and reject broken files; the grammar's rules hold."""

from __future__ import annotations

import json
import random

import pytest

from elmo_eval.world import validate
from elmo_eval.world.config import stream
from elmo_eval.world.conll2012 import format_document, srl_instances
from elmo_eval.world.grammar import news_document
from elmo_eval.world.lexicon import build_lexicon
from elmo_eval.world.ner import iob1_entity_tags
from elmo_eval.world.reviews import leaves, review_tree, tree_string
from elmo_eval.world.scenes import TAXONOMY, Scene, hypothesis, scene_tree
from elmo_eval.world.stats import bio_spans, word_identity_ner_f1
from elmo_eval.world.trees import Leaf, Node, detokenize, flatten


def test_checks_accept_the_real_samples(formats_dir):
    assert validate.check_conll2003(formats_dir / "conll2003.txt") == 2
    assert validate.check_sst(formats_dir / "sst.txt") == 3
    assert validate.check_snli(formats_dir / "snli.jsonl") == 3
    assert validate.check_squad(formats_dir / "squad.json") > 0
    assert validate.check_conll2012(formats_dir / "srl" / "nt_6401.gold_conll") == 1
    assert validate.check_conll2012(formats_dir / "coref" / "coref.gold_conll") >= 1


@pytest.mark.parametrize(
    "name, text, check, message, line",
    [
        ("a.txt", "-DOCSTART- -X- -X- O\n\nKessel NNP I-NP B-PER\n", validate.check_conll2003, "IOB1", 3),
        ("b.txt", "Kessel NNP I-PER\n", validate.check_conll2003, "4 columns", 1),
        ("c.txt", "(2 (2 a) (2 b))\n(2 (2 a) (2 b) (2 c))\n", validate.check_sst, "binary", 2),
        ("d.txt", "(5 (2 a) (2 b))\n", validate.check_sst, "0-4", 1),
        ("e.txt", "(2 (2 a) (2 b)\n", validate.check_sst, "unbalanced", 1),
        ("f.csv", '"1","t","d"\n"5","t","d"\n', validate.check_agnews, "class 1-4", 2),
    ],
)
def test_checks_reject_broken_text_files(tmp_path, name, text, check, message, line):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(validate.WorldFormatError, match=message) as error:
        check(path)
    assert f"{name}:{line}:" in str(error.value)  # file and line named


def test_snli_check_rejects_parse_leaves_that_differ(tmp_path):
    record = {key: "" for key in validate.SNLI_KEYS} | {
        "annotator_labels": ["neutral"],
        "gold_label": "neutral",
        "sentence1": "A dog runs.",
        "sentence1_parse": "(ROOT (S (NP (DT A) (NN cat)) (VP (VBZ runs)) (. .)))",
        "sentence1_binary_parse": "( ( A dog ) ( runs . ) )",
        "sentence2": "A dog runs.",
        "sentence2_parse": "(ROOT (S (NP (DT A) (NN dog)) (VP (VBZ runs)) (. .)))",
        "sentence2_binary_parse": "( ( A dog ) ( runs . ) )",
    }
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(validate.WorldFormatError, match="sentence1 parse leaves"):
        validate.check_snli(path)


def test_squad_check_rejects_a_wrong_offset(tmp_path):
    data = {
        "version": "1.1",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "Kessel praised Marlow.",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "Who praised Marlow?",
                                "answers": [{"answer_start": 1, "text": "Kessel"}],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "q.json"
    path.write_text(json.dumps(data))
    with pytest.raises(validate.WorldFormatError, match="not at offset 1"):
        validate.check_squad(path)


def _conll_document() -> str:
    lexicon = build_lexicon(0)
    sentences = [flatten(tree) for tree in news_document(lexicon, stream(0, "test-doc"), 8, False)]
    return format_document("nw/world/00/world_0000", sentences)


def test_conll2012_check_rejects_two_verbs_and_open_mentions(tmp_path):
    document = _conll_document()
    path = tmp_path / "ok.gold_conll"
    path.write_text(document)
    assert validate.check_conll2012(path) == 1
    rows = document.splitlines()
    verb_row = next(i for i, row in enumerate(rows) if "(V*)" in row)
    target = next(i for i in range(verb_row + 1, len(rows)) if rows[i].split() and rows[i].split()[-2] == "*")
    broken = rows.copy()
    cells = broken[target].split()
    cells[-2] = "(V*)"
    broken[target] = "   ".join(cells)
    path.write_text("\n".join(broken) + "\n")
    with pytest.raises(validate.WorldFormatError, match="exactly one"):
        validate.check_conll2012(path)
    opener = next(
        i
        for i, row in enumerate(rows)
        if row.split() and row.split()[-1].startswith("(") and not row.split()[-1].endswith(")")
    )
    broken = rows.copy()
    cells = broken[opener].split()
    cells[-1] = "(99"
    broken[opener] = "   ".join(cells)
    path.write_text("\n".join(broken) + "\n")
    with pytest.raises(validate.WorldFormatError, match="coreference"):
        validate.check_conll2012(path)


def test_iob1_uses_b_only_between_adjacent_same_type_entities():
    tree = Node(
        "S",
        [
            Node("NP", [Leaf("NNP", "Kessel")], (("ner", "PER"),)),
            Node("NP", [Leaf("NNP", "Anna"), Leaf("NNP", "Marlow")], (("ner", "PER"),)),
            Node("NP", [Leaf("NNP", "Ford")], (("ner", "LOC"),)),
            Leaf(".", "."),
        ],
    )
    assert iob1_entity_tags(flatten(tree)) == ["I-PER", "B-PER", "I-PER", "I-LOC", "O"]


def test_parse_bits_and_detokenized_offsets_are_exact():
    lexicon = build_lexicon(0)
    for tree in news_document(lexicon, stream(0, "offsets"), 6, False):
        flat = flatten(tree)
        assert "".join(flat.parse_bits).count("(") == "".join(flat.parse_bits).count(")")
        text, offsets = detokenize(flat.tokens)
        assert [text[o : o + len(t)] for o, t in zip(offsets, flat.tokens)] == flat.tokens


def test_same_bare_stem_takes_several_entity_types_by_context():
    lexicon = build_lexicon(0)
    rng = stream(0, "ambiguity")
    types_by_word: dict[str, set[str]] = {}
    for _ in range(200):
        for tree in news_document(lexicon, rng, 5, False):
            flat = flatten(tree)
            for ann, start, end in flat.spans:
                if ann[0] == "ner" and end - start == 1:
                    types_by_word.setdefault(flat.tokens[start], set()).add(ann[1])
    ambiguous = [w for w, kinds in types_by_word.items() if {"PER", "LOC", "ORG"} <= kinds]
    assert len(ambiguous) >= 5


def test_namesakes_in_one_document_share_a_string_but_not_a_chain_or_a_type():
    """A person Kessel and the company Kessel in one document: string match alone would merge them."""
    lexicon = build_lexicon(0)
    rng = stream(0, "namesakes")
    namesake_documents = 0
    for _ in range(200):
        entities: dict[str, set[tuple[int, str]]] = {}
        for tree in news_document(lexicon, rng, 6, False):
            flat = flatten(tree)
            types = {(start, end): ann[1] for ann, start, end in flat.spans if ann[0] == "ner"}
            for ann, start, end in flat.spans:
                if ann[0] == "coref" and (start, end) in types and end - start == 1:
                    entities.setdefault(flat.tokens[start], set()).add((ann[1], types[start, end]))
        shared = [chains for chains in entities.values() if len({cluster for cluster, _ in chains}) > 1]
        for chains in shared:
            # one type per chain, and the chains sharing a string have different types
            assert len(chains) == len({cluster for cluster, _ in chains})
            assert len({kind for _, kind in chains}) == len(chains)
        namesake_documents += bool(shared)
    assert namesake_documents >= 20


def test_the_company_is_said_only_while_one_company_has_been_mentioned():
    lexicon = build_lexicon(0)
    rng = stream(0, "the company")
    descriptions = 0
    for _ in range(200):
        companies_so_far: set[int] = set()
        for tree in news_document(lexicon, rng, 6, False):
            flat = flatten(tree)
            orgs = {(start, end) for ann, start, end in flat.spans if ann == ("ner", "ORG")}
            for ann, start, end in sorted(flat.spans, key=lambda span: span[1]):
                if ann[0] != "coref":
                    continue
                if flat.tokens[start:end] in (["the", "company"], ["The", "company"]):
                    assert companies_so_far <= {ann[1]}
                    descriptions += 1
                elif (start, end) in orgs:
                    companies_so_far.add(ann[1])
    assert descriptions >= 20


def test_sentiment_depends_on_negation_and_but():
    rng = random.Random(0)
    roots_by_word: dict[str, set[int]] = {}
    for _ in range(400):
        tree = review_tree(rng)
        parsed = validate.parse_sst_tree(tree_string(tree))  # a well-formed SST tree, labels shifted to 0-4
        assert parsed[0] == tree[0] + 2
        for word in leaves(tree):
            roots_by_word.setdefault(word, set()).add(parsed[0])
    # the same sentiment words end up in positive (3-4) and negative (0-1) sentences
    for word in ("good", "bad", "brilliant", "awful"):
        assert roots_by_word[word] & {3, 4} and roots_by_word[word] & {0, 1}, word


def test_scene_rules_give_the_documented_labels():
    rng = random.Random(0)
    premise = Scene("poodle", "chase", "cat", None, "park")
    seen = {"entailment": set(), "contradiction": set()}
    for _ in range(60):
        e = hypothesis(premise, "entailment", rng)
        kind = (
            "hypernym"
            if e.subject in ("dog", "animal")
            else "drop place"
            if e.place is None
            else "passive same roles"
            if e.passive and (e.subject, e.obj) == ("poodle", "cat")
            else "object hypernym"
            if e.obj == "animal"
            else "unexpected"
        )
        seen["entailment"].add(kind)
        c = hypothesis(premise, "contradiction", rng)
        kind = (
            "negation"
            if c.negated
            else "swapped roles"
            if (c.subject, c.obj) == ("cat", "poodle")
            else "sibling"
            if c.subject != "poodle" and TAXONOMY[c.subject] == "dog"
            else "other place"
            if c.place not in (None, "park")
            else "unexpected"
        )
        seen["contradiction"].add(kind)
    assert seen["entailment"] == {"hypernym", "drop place", "passive same roles", "object hypernym"}
    assert seen["contradiction"] == {"negation", "swapped roles", "sibling", "other place"}
    passive = scene_tree(Scene("poodle", "chase", "cat", passive=True))
    assert " ".join(flatten(passive).tokens) == "A cat is being chased by a poodle ."


def test_word_identity_baselines_are_scored_with_the_task_metrics():
    train = [
        (["Kessel", "said"], ["I-PER", "O"]),
        (["in", "Kessel"], ["O", "I-LOC"]),
        (["in", "Kessel"], ["O", "I-LOC"]),
    ]
    test = [(["Kessel", "said"], ["I-PER", "O"]), (["in", "Kessel"], ["O", "I-LOC"])]
    assert word_identity_ner_f1(train, test) == 0.5
    assert bio_spans(["B-ARG0", "I-ARG0", "O", "I-ARG1", "B-V"]) == {(0, 2, "ARG0"), (3, 4, "ARG1"), (4, 5, "V")}
    lexicon = build_lexicon(0)
    flat = flatten(news_document(lexicon, stream(0, "srl"), 1, False)[0])
    for tokens, predicate, tags in srl_instances(flat):
        assert tags[predicate] == "B-V" and len(tags) == len(tokens)
