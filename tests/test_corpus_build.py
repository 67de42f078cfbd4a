"""``elmo-eval corpus build`` on generated text: formats, tokenization, held-out, decontamination."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

pytest.importorskip("nltk", reason="corpus building needs nltk (pip install 'elmo-eval[corpus]')")

from elmo_eval.cli import main  # noqa: E402
from elmo_eval.corpus.build import build_corpus, heldout_numbers  # noqa: E402
from elmo_eval.corpus.exclude import sentence_key, task_sentences  # noqa: E402
from elmo_eval.corpus.sources import SourceError, iter_documents  # noqa: E402

WIKI = """<doc id="1" url="?curid=1" title="Alpha Town">
Alpha Town

Alpha Town is a town in Beta County. It has 5,000 people.
History.
Mr. Gamma founded it in 1901. He didn't stay long.
</doc>
<doc id="2" url="?curid=2" title="Empty">
Empty

</doc>
<doc id="3" url="?curid=3" title="Delta River">
Delta River

The Delta River flows north. EU rejects German call to boycott British lamb.
</doc>
"""

SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" NEWID="1">
<TEXT>&#2;
<TITLE>COCOA</TITLE>
<BODY>Showers continued throughout the week in
the Bahia cocoa zone &lt;said&gt; traders.
    Output rose 5 pct, the company said.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="2">
<TEXT>&#2;
<BODY>Standard Oil Co said it will form a venture.
 REUTER
&#3;</BODY></TEXT>
</REUTERS>
"""

CONLL_TEST = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
to TO B-VP O
boycott VB I-VP O
British JJ B-NP B-MISC
lamb NN I-NP O
. . O O

"""


def _sources(root: Path) -> dict[str, Path]:
    (root / "wiki" / "AA").mkdir(parents=True)
    (root / "wiki" / "AA" / "wiki_00").write_text(WIKI, encoding="utf-8")
    (root / "news.sgm").write_text(SGML, encoding="utf-8")
    reviews = root / "reviews"
    reviews.mkdir()
    (reviews / "0_0.txt").write_text("I loved it.<br /><br />The plot (mostly) works! Didn't it?",
                                     encoding="utf-8")
    (reviews / "1_0.txt").write_text("Boring. Two stars.", encoding="utf-8")
    (reviews / ".hidden").write_text("never read", encoding="utf-8")
    (root / "plain.txt").write_text("First paragraph here.\n\nSecond one, \"quoted\" words.\n", encoding="utf-8")
    return {"wiki": root / "wiki", "sgml": root / "news.sgm", "reviews": reviews, "plain": root / "plain.txt"}


def test_formats_are_read_as_documents(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    wiki = list(iter_documents(sources["wiki"]))
    assert [len(d.paragraphs) for d in wiki] == [3, 1]  # title dropped, empty article skipped
    assert wiki[0].paragraphs[1] == "History."
    news = list(iter_documents(sources["sgml"]))
    assert news[0].paragraphs == ["Showers continued throughout the week in the Bahia cocoa zone <said> traders.",
                                  "Output rose 5 pct, the company said."]
    assert news[1].paragraphs == ["Standard Oil Co said it will form a venture."]
    reviews = list(iter_documents(sources["reviews"]))
    assert len(reviews) == 2 and reviews[0].paragraphs[0] == "I loved it."
    with pytest.raises(SourceError, match="does not exist"):
        list(iter_documents(tmp_path / "missing"))


def test_unclosed_wiki_doc_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "wiki_01"
    broken.write_text('<doc id="1" title="X">\nX\n\ntext\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"wiki_01:1: <doc> without </doc>"):
        list(iter_documents(broken))


def test_task_files_trees_columns_gz(tmp_path: Path) -> None:
    trees = tmp_path / "dev.txt"
    trees.write_text("(3 (2 It) (4 (2 -LRB-) (3 works) (2 .)))\n", encoding="utf-8")
    assert list(task_sentences(trees)) == [["It", "-LRB-", "works", "."]]
    conll = tmp_path / "test.txt"
    conll.write_text(CONLL_TEST, encoding="utf-8")
    assert list(task_sentences(conll)) == [["EU", "rejects", "German", "call", "to", "boycott", "British",
                                            "lamb", "."]]
    words = tmp_path / "test.wsj.words.gz"
    with gzip.open(words, "wt", encoding="utf-8") as handle:
        handle.write("The\ncat\nsat\n.\n\nIt\nran\n.\n\n")
    assert list(task_sentences(words)) == [["The", "cat", "sat", "."], ["It", "ran", "."]]
    assert sentence_key(["-LRB-", "``", "A"]) == sentence_key(["(", '"', "a"])


def test_build_tokenizes_decontaminates_and_holds_out(tmp_path: Path) -> None:
    sources = _sources(tmp_path / "raw")
    task = tmp_path / "test.txt"
    task.write_text(CONLL_TEST, encoding="utf-8")
    out = tmp_path / "corpus"
    counts = build_corpus([sources["wiki"], sources["sgml"], sources["reviews"], sources["plain"]], out,
                          exclude=[task], heldout_docs=2, shards=3, log=open("/dev/null", "w"))
    train = "".join(p.read_text(encoding="utf-8") for p in sorted((out / "train").iterdir()))
    heldout = (out / "heldout.txt").read_text(encoding="utf-8")
    lines = [line for line in (train + heldout).splitlines() if line]
    assert "Mr. Gamma founded it in 1901 ." in lines  # Punkt learnt nothing wrong from "Mr."
    assert "He did n't stay long ." in lines  # Treebank contractions
    assert "EU rejects German call to boycott British lamb ." not in lines  # a task test sentence
    assert counts.total().dropped_task_sentences == 1
    assert counts.per_source[str(sources["wiki"])].dropped_task_sentences == 1
    total = counts.total()
    assert total.documents == 7 and total.heldout_documents == 2
    assert total.sentences == len(train.splitlines())
    assert total.heldout_sentences == len([line for line in heldout.splitlines() if line])
    assert total.tokens == len(train.split())
    assert heldout.endswith("\n\n")  # whole documents, a blank line after each
    summary = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    assert summary["total"]["dropped_task_sentences"] == 1
    # Deterministic: a second build writes the same bytes.
    again = tmp_path / "again"
    build_corpus([sources["wiki"], sources["sgml"], sources["reviews"], sources["plain"]], again,
                 exclude=[task], heldout_docs=2, shards=3, log=open("/dev/null", "w"))
    for path in sorted((out / "train").iterdir()):
        assert path.read_bytes() == (again / "train" / path.name).read_bytes()


def test_heldout_numbers_are_spread_and_leave_training() -> None:
    assert heldout_numbers(10, 2) == {2, 7}
    assert heldout_numbers(10, 0) == set()
    with pytest.raises(SourceError, match="leaves no training document"):
        heldout_numbers(3, 3)


def test_cli_counts_and_usage_errors(tmp_path: Path, capsys) -> None:
    sources = _sources(tmp_path / "raw")
    out = tmp_path / "corpus"
    assert main(["corpus", "build", str(sources["plain"]), str(sources["reviews"]), "--out", str(out),
                 "--heldout-docs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "total" in printed and "dropped 0 sentence(s)" in printed
    assert main(["corpus", "build", str(sources["plain"]), "--out", str(out)]) == 2  # not empty, no --overwrite
    assert "not empty" in capsys.readouterr().err
    assert main(["corpus", "build", str(tmp_path / "nope"), "--out", str(tmp_path / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_an_exclude_task_file_that_is_not_utf8_names_its_line(tmp_path):
    """The task files whose sentences a corpus must not contain are read as strictly as the readers read them."""
    from elmo_eval.corpus.exclude import ExcludeFileError

    task = tmp_path / "test.txt"
    task.write_bytes("EU B-ORG\n\ncaf\xe9 O\n".encode("latin-1"))
    with pytest.raises(ExcludeFileError, match=r"test.txt:3: byte 0xe9"):
        list(task_sentences(task))
