#!/usr/bin/env python
"""Generated test cases for the official scorers, and the recording of what those scorers print on them.

The project's metric code claims to equal four official scorers digit for digit: the CoNLL-2012
reference coreference scorer v8.01 (``scorer.pl``), ``srl-eval.pl`` (CoNLL-2005), ``conlleval``
(CoNLL-2000/2003) and SQuAD's ``evaluate-v1.1.py``. This script makes seeded inputs for them (random
cases and hand-made adversarial ones) and, given the paths of the scorers, runs them and stores what
they print as small JSON fixtures under ``tests/fixtures/official_scorers/``. The tests
(``tests/test_official_scorers.py``) regenerate the same inputs from this script and compare the
project's numbers with the recorded ones, so neither CI nor a user needs the scorers or the network.
The scorers' code never enters this repository.

Usage::

    python scripts/official_scorer_cases.py record \\
        --coref /path/to/reference-coreference-scorers/scorer.pl \\
        --srl /path/to/srl-eval.pl --conlleval /path/to/conlleval.pl \\
        --squad /path/to/evaluate-v1.1.py [--out tests/fixtures/official_scorers]
    python scripts/official_scorer_cases.py inputs DIR   # write the inputs only, one folder per case

Each fixture holds, per case, its name, the SHA-256 of its input files (so a change in the generator
shows up as a clear failure rather than as wrong numbers) and the scorer's printed lines.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "official_scorers"


def digest(files: dict[str, str]) -> str:
    """SHA-256 over a case's input files (names and contents, in name order)."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode("utf-8") + b"\0")
    return h.hexdigest()


def write_case(files: dict[str, str], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        with open(directory / name, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return directory


# === coreference (scorer.pl v8.01) ==================================================================

COREF_SEED = 2012
COREF_METRICS = ("muc", "bcub", "ceafm", "ceafe", "blanc")

# A document to write: its name, sentence lengths and per token the coreference entries in the order to
# write them (each entry a string such as "(3", "3)", "(3)"; the column joins them with "|").
Doc = tuple[str, list[int], list[list[str]]]


def coref_column_entries(n_tokens: int, mentions: list[tuple[str, int, int]], rng: Random | None = None,
                         ) -> list[list[str]]:
    """``(entity number, start, end)`` mentions -> per token the entries that write them; the entries of
    one token are shuffled when ``rng`` is given (the scorer reads them in its own order anyway)."""
    entries: list[list[str]] = [[] for _ in range(n_tokens)]
    for number, start, end in mentions:
        if start == end:
            entries[start].append(f"({number})")
        else:
            entries[start].append(f"({number}")
            entries[end].append(f"{number})")
    if rng is not None:
        for token in entries:
            rng.shuffle(token)
    return entries


def coref_file(docs: list[Doc]) -> str:
    """CoNLL-2012-like rows, TAB-separated, the coreference column last (what the scorer reads)."""
    out = []
    for name, lengths, entries in docs:
        out.append(f"#begin document {name}\n")
        token = 0
        for length in lengths:
            for i in range(length):
                column = "|".join(entries[token]) or "-"
                out.append(f"doc\t0\t{i}\tw{token}\tNN\t*\t-\t-\t-\t-\t*\t{column}\n")
                token += 1
            out.append("\n")
        out.append("#end document\n")
    return "".join(out)


def _lengths(rng: Random, n_tokens: int) -> list[int]:
    """Split n_tokens into sentences of 1-12 tokens."""
    lengths = []
    while n_tokens > 0:
        length = min(n_tokens, rng.randint(1, 12))
        lengths.append(length)
        n_tokens -= length
    return lengths


def _random_span(rng: Random, n_tokens: int, max_width: int = 4) -> tuple[int, int]:
    start = rng.randrange(n_tokens)
    return start, min(n_tokens - 1, start + rng.choice([0, 0, 0, 1, 1, 2, max_width - 1]))


def _random_clusters(rng: Random, n_tokens: int, n_clusters: int, max_size: int) -> list[list[tuple[int, int]]]:
    """Clusters of distinct spans (no span in two clusters)."""
    used: set[tuple[int, int]] = set()
    clusters = []
    for _ in range(n_clusters):
        cluster = []
        for _ in range(rng.randint(1, max_size)):
            for _ in range(10):
                span = _random_span(rng, n_tokens)
                if span not in used:
                    used.add(span)
                    cluster.append(span)
                    break
        if cluster:
            clusters.append(cluster)
    return clusters


def _perturb(rng: Random, key: list[list[tuple[int, int]]], n_tokens: int, strength: float,
             repeats: int = 0) -> list[list[tuple[int, int]]]:
    """A response made from the key: mentions dropped, moved, shifted, clusters split and merged,
    twinless mentions added, and ``repeats`` key-matching spans repeated."""
    response = [list(c) for c in key]
    for cluster in response:
        for i in range(len(cluster)):
            if rng.random() < strength * 0.3:  # shift a boundary
                s, e = cluster[i]
                s = max(0, min(e, s + rng.choice([-1, 1])))
                e = min(n_tokens - 1, max(s, e + rng.choice([-1, 1])))
                cluster[i] = (s, e)
        rng.shuffle(cluster)
        while cluster and rng.random() < strength * 0.3:  # drop mentions
            cluster.pop()
    for _ in range(int(rng.random() < strength) + int(rng.random() < strength / 2)):
        if len(response) >= 2 and rng.random() < 0.5:  # merge two clusters
            a, b = rng.sample(range(len(response)), 2)
            response[a] += response[b]
            response[b] = []
        elif response:  # split one
            c = rng.randrange(len(response))
            cut = rng.randint(0, len(response[c]))
            response.append(response[c][cut:])
            response[c] = response[c][:cut]
    for _ in range(rng.randint(0, 3) if rng.random() < strength else 0):  # move a mention
        nonempty = [c for c in response if c]
        if nonempty and len(response) > 1:
            source = rng.choice(nonempty)
            rng.choice(response).append(source.pop(rng.randrange(len(source))))
    for _ in range(rng.randint(0, 4) if rng.random() < strength else 0):  # twinless mentions
        span = _random_span(rng, n_tokens)
        if response and rng.random() < 0.6:
            rng.choice(response).append(span)
        else:
            response.append([span])
    present = [m for c in response for m in c]
    key_spans = {m for c in key for m in c}
    matching = [m for m in present if m in key_spans]
    for _ in range(repeats if matching else 0):
        span = rng.choice(matching)
        rng.choice(response).append(span)
    response = [c for c in response if c]
    rng.shuffle(response)
    return response


def _mentions(clusters: list[list[tuple[int, int]]], numbers: list[str]) -> list[tuple[str, int, int]]:
    return [(numbers[c], s, e) for c, cluster in enumerate(clusters) for s, e in cluster]


def _numbers(rng: Random, n: int) -> list[str]:
    """Entity numbers as written: distinct, in a random order (the scorer orders entities by first appearance)."""
    numbers = rng.sample(range(max(n * 3, 10)), n)
    return [str(x) for x in numbers]


def _doc(name: str, lengths: list[int], clusters, rng: Random, shuffle_entries: bool = True) -> Doc:
    n_tokens = sum(lengths)
    return (name, lengths, coref_column_entries(n_tokens, _mentions(clusters, _numbers(rng, len(clusters))),
                                                rng if shuffle_entries else None))


def _raw_doc(name: str, lengths: list[int], column: list[str]) -> Doc:
    """A document whose coreference column is given entry by entry (adversarial spellings)."""
    return name, lengths, [[] if c == "-" else [c] for c in column]


def _random_coref_case(rng: Random, index: int) -> dict:
    n_docs = rng.choice([1, 1, 1, 1, 2, 2, 3])
    key_docs, response_docs = [], []
    for d in range(n_docs):
        name = f"(gen/doc_{index:03d}_{d}); part {rng.choice([0, 0, 1]):03d}"
        n_tokens = rng.randint(4, 45)
        lengths = _lengths(rng, n_tokens)
        kind = rng.random()
        if kind < 0.08:
            key = [[m] for c in _random_clusters(rng, n_tokens, rng.randint(1, 6), 1) for m in c]  # singletons
        else:
            key = _random_clusters(rng, n_tokens, rng.randint(0, 8), rng.choice([2, 3, 5]))
        repeats = rng.choice([0] * 8 + [1, 2, 3])
        response = _perturb(rng, key, n_tokens, rng.choice([0.0, 0.2, 0.5, 0.8, 1.0]), repeats)
        key_docs.append(_doc(name, lengths, key, rng))
        if rng.random() < 0.93:  # sometimes the response lacks the part
            response_docs.append(_doc(name, lengths, response, rng))
    if rng.random() < 0.1:  # a response part the key does not have
        response_docs.append(_doc("(gen/extra); part 000", [3], [[(0, 2)]], rng))
    rng.shuffle(response_docs)
    return {"name": f"random-{index:03d}", "files": {"key.conll": coref_file(key_docs),
                                                      "response.conll": coref_file(response_docs)}}


def _large_coref_case(rng: Random, index: int) -> dict:
    """One long part with many clusters (exercises the alignment)."""
    n_tokens = rng.randint(120, 200)
    lengths = _lengths(rng, n_tokens)
    key = _random_clusters(rng, n_tokens, rng.randint(20, 35), 4)
    response = _perturb(rng, key, n_tokens, 1.0)
    name = f"(gen/large_{index:02d}); part 000"
    return {"name": f"large-{index:02d}", "files": {"key.conll": coref_file([_doc(name, lengths, key, rng)]),
                                                    "response.conll": coref_file([_doc(name, lengths, response, rng)])}}


def _ties_case(rng: Random, index: int) -> dict:
    """Many equal-sized clusters shuffled among each other: CEAF has several optimal alignments."""
    size = rng.choice([2, 3, 4])
    n_clusters = rng.randint(3, 6)
    n_tokens = size * n_clusters
    tokens = list(range(n_tokens))
    key = [[(t, t) for t in tokens[c * size:(c + 1) * size]] for c in range(n_clusters)]
    rng.shuffle(tokens)
    cuts = sorted(rng.sample(range(1, n_tokens), rng.randint(1, n_clusters)))
    response = [[(t, t) for t in tokens[a:b]] for a, b in zip([0, *cuts], [*cuts, n_tokens])]
    lengths = _lengths(rng, n_tokens)
    name = f"(gen/ties_{index:02d}); part 000"
    return {"name": f"ties-{index:02d}", "files": {"key.conll": coref_file([_doc(name, lengths, key, rng)]),
                                                   "response.conll": coref_file([_doc(name, lengths, response, rng)])}}


def _adversarial_coref_cases() -> list[dict]:
    """Hand-made cases for the scorer's odd rules (each named for what it checks)."""
    name = "(adv/doc); part 000"
    cases: dict[str, tuple[list[Doc], list[Doc]]] = {}

    def single(tag, key_column, response_column, lengths=None):
        lengths = lengths or [len(key_column)]
        cases[tag] = ([_raw_doc(name, lengths, key_column)], [_raw_doc(name, lengths, response_column)])

    # the example: MUC R 6/7, P 6/8, F1 0.7999999999999999 (prints 79.99; 100 x F1 is 80.0)
    single("f1-just-below-80", ["(1)"] * 8 + ["-", "-"], ["(1)"] * 7 + ["-", "(1)", "(1)"])
    # MUC R 3/7, P 3/8, F1 0.39999999999999997 (prints 39.99; 100 x F1 is 40.0)
    single("f1-just-below-40", ["(1)"] * 8 + ["-"] * 5, ["(1)"] * 4 + ["-"] * 4 + ["(1)"] * 5)
    # MUC R 3/3, P 3/5: F1 0.75 computed as 0.7499999999999999 (prints 74.99)
    single("f1-just-below-75", ["(1)", "(1)", "(1)", "(1)", "-", "-"], ["(1)", "(1)", "(1)", "(1)", "(1)", "(1)"])
    single("identical", ["(1", "1)", "(2)", "(1)", "(2)", "-"], ["(1", "1)", "(2)", "(1)", "(2)", "-"])
    single("empty-response", ["(1", "1)", "(2)", "(1)", "(2)", "-"], ["-"] * 6)
    single("empty-key", ["-"] * 5, ["(1)", "(1)", "(2)", "-", "-"])
    single("key-only-singletons", ["(1)", "(2)", "(3)", "(4)"], ["(1)", "(2)", "(3)", "(4)"])
    single("key-only-singletons-response-links", ["(1)", "(2)", "(3)", "(4)"], ["(1)", "(1)", "(3)", "(4)"])
    single("single-mention", ["(1)", "-", "-"], ["(1)", "-", "-"])
    single("single-cluster-key", ["(1)", "(1)", "(1)"], ["(1)", "(1)", "(2)"])
    single("all-one-cluster-response", ["(1)", "(2)", "(2)", "(3)", "(3)", "(3)"], ["(7)"] * 6)
    single("all-singletons-response", ["(1)", "(2)", "(2)", "(3)", "(3)", "(3)"],
           ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    # a mention from the last token of one sentence to the first of the next (the case b)
    single("cross-sentence-response", ["(1)", "-", "(1)", "(2)", "-", "(2)"], ["(1)", "-", "(1)|(2", "2)", "-", "(2)"],
           lengths=[3, 3])
    single("cross-sentence-both", ["-", "(1", "1)", "(1)", "-", "-"], ["-", "(1", "1)", "(1)", "-", "-"],
           lengths=[2, 4])
    single("cross-sentence-key", ["(3", "-", "3)", "(3)", "-"], ["(3)", "-", "(3)", "(3)", "-"], lengths=[2, 3])
    # repeated spans
    single("key-span-repeated-same-entity", ["(1)|(1)", "(1)", "(2)"], ["(1)", "(1)", "(2)"])
    single("key-span-repeated-two-entities", ["(1)|(2)", "(1)", "(2)"], ["(1)", "(1)", "(2)"])
    single("response-repeat-same-entity", ["(1)", "(1)", "(2)", "(2)"], ["(1)|(1)", "(1)", "(2)", "(2)"])
    single("response-repeat-other-entity", ["(1)", "(1)", "(2)", "(2)"], ["(1)|(2)", "(1)", "(2)", "(2)"])
    single("response-twinless-repeat", ["(1)", "(1)", "-", "-"], ["(1)", "(1)", "(5)|(5)", "-"])
    single("response-twinless-repeat-two-entities", ["(1)", "(1)", "-", "-"], ["(1)", "(1)", "(5)|(6)", "(6)"])
    single("ten-repeats", ["(1)", "(1)", "(2)"], ["(1)|(1)|(1)|(1)|(1)|(1)", "(1)|(1)|(1)|(1)|(1)|(1)", "(2)"])
    single("eleven-repeats-refused", ["(1)", "(1)", "(2)"],
           ["(1)|(1)|(1)|(1)|(1)|(1)", "(1)|(1)|(1)|(1)|(1)|(1)|(1)", "(2)"])
    # which copy of a span repeated across entities is kept depends on the entities' order of first appearance
    single("repeat-kept-by-first-appearance", ["(1", "-", "1)", "(2)", "(2)", "(1)"],
           ["(5|(4", "4)", "5)", "(5)|(4)", "(4)", "(5)"])
    # bracket spellings the scorer reads in its own order: one-token mentions, then openings, then closings
    single("close-and-open-same-token", ["(1", "-", "1)", "-", "(1)"], ["(1", "-", "1)|(1", "-", "1)"])
    single("open-and-close-same-token", ["(1", "-", "1)", "-", "(1)"], ["(1", "-", "(1|1)", "-", "1)"])
    single("nested-same-entity", ["(1", "(1", "1)", "1)", "(1)"], ["(1|(1", "-", "1)", "1)", "(1)"])
    single("nested-other-entity", ["(1", "(2)", "1)", "(2)", "(1)"], ["(1", "(2)", "1)", "(2)", "(1)"])
    single("leading-zero-numbers", ["(1", "1)", "(01)", "(1)"], ["(01", "01)", "(1)", "(01)"])
    # malformed columns: the scorer dies
    single("close-without-open-refused", ["(1", "1)", "(1)"], ["(01", "1)", "(1)"])
    single("unclosed-refused", ["(1", "1)", "(1)"], ["(1", "-", "(1)"])
    single("double-antecedent-discarded", ["(1)", "(1)", "(2)"], ["(1)", "(1)|(1+2)", "(2)"])
    # CEAF with several optimal alignments summing to different last bits
    single("ceaf-tie-a", ["(1)", "(1)", "(1)", "(2)", "(2)", "(2)", "(3)", "(3)"],
           ["(1)", "(2)", "(1)", "(2)", "(1)", "(3)", "(2)", "(3)"])
    single("ceaf-tie-b", ["(1)", "(1)", "(2)", "(2)", "(3)", "(3)", "(3)"],
           ["(1)", "(2)", "(1)", "(2)", "(3)", "(1)", "(2)"])
    # several parts: a missing response part, an extra one, response parts in another order, repeated names
    a, b = "(adv/a); part 000", "(adv/b); part 001"
    cases["parts-missing-and-extra"] = (
        [_raw_doc(a, [3], ["(1)", "(1)", "(2)"]), _raw_doc(b, [2], ["(1)", "(1)"])],
        [_raw_doc("(adv/c); part 000", [2], ["(1)", "(1)"]), _raw_doc(a, [3], ["(1)", "(2)", "(2)"])])
    cases["parts-repeated-name"] = (
        [_raw_doc(a, [3], ["(1)", "(1)", "(2)"]), _raw_doc(a, [2], ["(1)", "(1)"])],
        [_raw_doc(a, [2], ["(1)", "(2)"]), _raw_doc(a, [3], ["(1)", "(1)", "(1)"])])
    cases["part-name-spelling"] = (
        [_raw_doc("(adv/a); part 0", [2], ["(1)", "(1)"])],
        [_raw_doc("(adv/a); part 000", [2], ["(1)", "(1)"])])
    return [{"name": f"adversarial-{tag}", "files": {"key.conll": coref_file(k), "response.conll": coref_file(r)}}
            for tag, (k, r) in cases.items()]


def coref_cases() -> list[dict]:
    """About 200 cases: random key/response pairs, long parts, CEAF ties and adversarial spellings."""
    rng = Random(COREF_SEED)
    cases = [_random_coref_case(rng, i) for i in range(150)]
    cases += [_large_coref_case(rng, i) for i in range(6)]
    cases += [_ties_case(rng, i) for i in range(15)]
    cases += _adversarial_coref_cases()
    return cases


def _coref_lines(output: str) -> list[str]:
    """The lines of a scorer.pl run that carry numbers (warnings, headers and separators left out)."""
    keep = ("Identification of Mentions:", "Coreference:", "Coreference links:", "Non-coreference links:",
            "BLANC:")
    return [line for line in output.splitlines() if line.startswith(keep) and "Recall" in line]


def record_coref(scorer: Path, cases: list[dict], workdir: Path) -> dict:
    """Run ``scorer.pl <metric> key response none`` once per metric (as the project scores: each
    metric's own refusal count) and keep the numbered lines: identification (the same in every
    metric, kept once) and each metric's lines. Two Perl hash seeds check the output does not
    depend on the order in which the scorer visits the parts."""
    records = []
    full = {}
    for case in cases:
        directory = write_case(case["files"], workdir / case["name"])
        lines: dict[str, list[str]] = {}
        refused = None
        for metric in COREF_METRICS:
            outputs = []
            for seed in ("0", "1"):
                env = dict(os.environ, PERL_HASH_SEED=seed, PERL_PERTURB_KEYS="0")
                run = subprocess.run(["perl", str(scorer), metric, "key.conll", "response.conll", "none"],
                                     cwd=directory, capture_output=True, text=True, env=env)
                outputs.append((run.returncode, run.stdout, run.stderr))
            if _coref_lines(outputs[0][1]) != _coref_lines(outputs[1][1]) or outputs[0][0] != outputs[1][0]:
                raise SystemExit(f"{case['name']}: scorer.pl {metric} prints differently with another hash seed")
            code, stdout, stderr = outputs[0]
            if code != 0:
                refused = stderr.strip().splitlines()[-1].split(" at /")[0]  # the message, without the path
                break
            lines[metric] = _coref_lines(stdout)
        record = {"name": case["name"], "inputs": digest(case["files"])}
        if refused is not None:
            record["refused"] = refused
        else:
            identification = {metric: found[0] for metric, found in lines.items()}
            assert len(set(identification.values())) == 1, case["name"]
            record["mentions"] = identification["muc"]
            for metric in COREF_METRICS:
                record[metric] = [line for line in lines[metric][1:]]
        records.append(record)
        if case["name"] in ("adversarial-f1-just-below-80", "random-000", "random-004"):
            run = subprocess.run(["perl", str(scorer), "all", "key.conll", "response.conll", "none"],
                                 cwd=directory, capture_output=True, text=True, check=True)
            full[case["name"]] = run.stdout.split("\n", 1)[1]  # without the version line (it names a path)
    return {"scorer": "CoNLL-2012 reference coreference scorer v8.01 (conll/reference-coreference-scorers), "
                      "scorer.pl <metric> key.conll response.conll none",
            "generator": f"scripts/official_scorer_cases.py coref_cases() (seed {COREF_SEED})",
            "cases": records, "full_output": full}


# === semantic roles (srl-eval.pl, CoNLL-2005) ======================================================

SRL_SEED = 2005
SRL_LABELS = ("A0", "A1", "A2", "A3", "AM-TMP", "AM-LOC", "AM-MNR", "AM-NEG", "R-A0", "R-A1", "C-A1", "C-A0")


def props_file(sentences: list[list[list[str]]], blank: str = "\n") -> str:
    """Props rows: per sentence a list of rows (verb or '-', then one cell per proposition)."""
    return "".join("".join(" ".join(row) + "\n" for row in rows) + blank for rows in sentences)


def _srl_spans(rng: Random, length: int, verb: int, n_args: int) -> list[tuple[str, int, int]]:
    """Non-overlapping labelled spans that leave the verb alone, sometimes one nested in another."""
    taken = {verb}
    spans = []
    for _ in range(n_args):
        start = rng.randrange(length)
        end = min(length - 1, start + rng.choice([0, 0, 1, 2, 3]))
        if any(t in taken for t in range(start, end + 1)):
            continue
        taken.update(range(start, end + 1))
        spans.append((rng.choice(SRL_LABELS), start, end))
    if spans and rng.random() < 0.1:  # a nested span inside an existing one
        label, start, end = rng.choice(spans)
        if end > start:
            inner = rng.randint(start, end)
            spans.append((rng.choice(SRL_LABELS), inner, inner))
    return spans + [("V", verb, verb)]


def srl_column(length: int, spans: list[tuple[str, int, int]]) -> list[str]:
    """Start-End tags; nested spans open outer first and close inner first."""
    opens = [""] * length
    closes = [""] * length
    for label, start, _ in sorted(spans, key=lambda s: (s[1], -s[2])):
        opens[start] += f"({label}"
    for _, _, end in spans:
        closes[end] += ")"
    return [f"{o}*{c}" for o, c in zip(opens, closes)]


def _perturb_spans(rng: Random, spans: list[tuple[str, int, int]], length: int, verb: int,
                   strength: float) -> list[tuple[str, int, int]]:
    out = []
    for label, start, end in spans:
        if label == "V":
            if rng.random() < strength * 0.1:  # the verb's own span wrong
                end = min(length - 1, end + 1)
            out.append((label, start, end))
            continue
        r = rng.random()
        if r < strength * 0.2:
            continue  # missed
        if r < strength * 0.4:
            label = rng.choice(SRL_LABELS)
        elif r < strength * 0.6:
            start = min(length - 1, max(0, start + rng.choice([-1, 0, 1])))
            end = max(start, min(length - 1, end + rng.choice([-1, 0, 1])))
        out.append((label, start, end))
    if rng.random() < strength:
        out += _srl_spans(rng, length, verb, rng.randint(1, 2))[:-1]  # excess
    # drop spans that now cross another (brackets must nest)
    kept: list[tuple[str, int, int]] = []
    for span in out:
        if all(span[2] < k[1] or span[1] > k[2] or (span[1] >= k[1] and span[2] <= k[2])
               or (k[1] >= span[1] and k[2] <= span[2]) for k in kept) and span not in kept:
            kept.append(span)
    return kept


def _random_srl_case(rng: Random, index: int) -> dict:
    gold_sentences, pred_sentences = [], []
    for _ in range(rng.randint(1, 5)):
        length = rng.randint(2, 18)
        verbs = sorted(rng.sample(range(length), min(length, rng.choice([0, 1, 1, 2, 2, 3, 4]))))
        lemmas = {v: rng.choice(["say", "go", "make", "take"]) for v in verbs}
        strength = rng.choice([0.0, 0.3, 0.6, 1.0])
        gold_columns, pred_columns, pred_verbs = [], [], {}
        for v in verbs:
            spans = _srl_spans(rng, length, v, rng.randint(0, 5))
            gold_columns.append(srl_column(length, spans))
            r = rng.random()
            if r < 0.05:
                continue  # the prediction lacks this proposition
            pred_verbs[v] = lemmas[v] if r > 0.08 else "other"  # sometimes another verb
            pred_columns.append(srl_column(length, _perturb_spans(rng, spans, length, v, strength)))
        if length > len(verbs) and rng.random() < 0.05:  # a predicted proposition gold does not have
            extra = rng.choice([i for i in range(length) if i not in verbs])
            pred_verbs[extra] = "extra"
            pred_columns.insert(sorted(pred_verbs).index(extra), srl_column(length, [("V", extra, extra)]))
        gold_sentences.append([[lemmas.get(i, "-")] + [c[i] for c in gold_columns] for i in range(length)])
        pred_sentences.append([[pred_verbs.get(i, "-")] + [c[i] for c in pred_columns] for i in range(length)])
    return {"name": f"random-{index:03d}", "files": {"gold.props": props_file(gold_sentences),
                                                      "pred.props": props_file(pred_sentences)}}


def _adversarial_srl_cases() -> list[dict]:
    """Hand-made columns for srl-eval.pl's rules: continuations, nesting, repeated spans, labels."""
    cases = {
        "continuation": ("(A1* *) (V*) (C-A1*) *", "(A1* *) (V*) (C-A1*) *"),
        "continuation-first-piece-only": ("(A1* *) (V*) (C-A1*) *", "(A1* *) (V*) * *"),
        "continuation-without-head": ("* (V*) (C-A1*) *", "* (V*) (A1*) *"),
        "continuation-wrong-label": ("(A1*) (V*) (C-A1*) *", "(A0*) (V*) (C-A0*) *"),
        "two-continuations": ("(A1*) (C-A1*) (V*) (C-A1*)", "(A1*) (C-A1*) (V*) (C-A1*)"),
        "two-continuations-one-missing": ("(A1*) (C-A1*) (V*) (C-A1*)", "(A1*) (C-A1*) (V*) *"),
        "continuation-of-nested-head": ("(A1* (A0*) *) (V*) (C-A1*)", "(A1* (A0*) *) (V*) (C-A1*)"),
        "continuation-after-other": ("(A0*) (A1*) (V*) (C-A0*)", "(A0*) (A1*) (V*) (C-A1*)"),
        "continuation-repeated-piece": ("(A1*) (V*) (C-A1*) *", "(A1*) (V*) (C-A1(C-A1*)) *"),
        "nested-spans": ("(A0* (A1*) *) (V*) *", "(A0* (A1*) *) (V*) *"),
        "nested-inner-only": ("(A0* (A1*) *) (V*) *", "(A0* * *) (V*) *"),
        "nested-same-span": ("(A0(A1*)) (V*) * *", "(A1*) (V*) * *"),
        "nested-same-span-outer": ("(A0(A1*)) (V*) * *", "(A0*) (V*) * *"),
        "pred-same-span-twice": ("(A0*) (V*) * *", "(A1(A0*)) (V*) * *"),
        "reference-labels": ("(A0*) (R-A0*) (V*) (A1*)", "(A0*) (A0*) (V*) (R-A1*)"),
        "verb-only": ("* (V*) * *", "* (V*) * *"),
        "verb-wrong": ("* (V*) * *", "* (V* *) *"),
        "no-verb-in-gold": ("(A0*) * (A1*) *", "(A0*) * (A1*) *"),
        "long-and-odd-labels": ("(ARGM-DISCOURSE*) (V*) (a0*) (AM-TMP*)", "(ARGM-DISCOURSE*) (V*) (a0*) (AM-LOC*)"),
        "typed-closings": ("(A0* *A0) (V*) (A1*A1)", "(A0* *) (V*) (A1*)"),
        "escaped-star-in-label": ("(A\\*B*) (V*) (A1*) *", "(A\\*B*) (V*) (A\\*B*) *"),
        "all-missed": ("(A0*) (V*) (A1* *)", "* (V*) * *"),
        "all-excess": ("* (V*) * *", "(A0*) (V*) (A1* *)"),
    }
    out = []
    for tag, (gold, pred) in cases.items():
        g, p = gold.split(), pred.split()
        verb = "say" if tag != "no-verb-in-gold" else "-"
        gold_rows = [[verb if i == 1 else "-", c] if verb != "-" else ["-"] for i, c in enumerate(g)]
        if verb == "-":  # a predicate position whose column has no (V*)
            gold_rows = [["say" if i == 1 else "-", c] for i, c in enumerate(g)]
        pred_rows = [["say" if i == 1 else "-", c] for i, c in enumerate(p)]
        out.append({"name": f"adversarial-{tag}",
                    "files": {"gold.props": props_file([gold_rows]), "pred.props": props_file([pred_rows])}})
    # propositions matched by position: a missing prediction, another verb, one absent from gold
    gold = [["-", "(A0*)", "*"], ["go", "(V*)", "*"], ["-", "*", "(A0*)"], ["run", "*", "(V*)"], ["-", "*", "*"]]
    out.append({"name": "adversarial-propositions-by-position", "files": {
        "gold.props": props_file([gold, gold, gold]),
        "pred.props": props_file([
            [["-", "(A0*)"], ["go", "(V*)"], ["-", "*"], ["-", "*"], ["-", "*"]],                # run missing
            [["-", "(A0*)", "*"], ["went", "(V*)", "*"], ["-", "*", "(A0*)"], ["run", "*", "(V*)"], ["-", "*", "*"]],
            [["-", "(A0*)", "*", "*"], ["go", "(V*)", "*", "*"], ["-", "*", "(A0*)", "*"],
             ["run", "*", "(V*)", "*"], ["stop", "*", "*", "(V*)"]],                             # an extra one
        ])}})
    # a proposition with no column of its own (the scorer warns and scores it empty)
    out.append({"name": "adversarial-missing-column", "files": {
        "gold.props": props_file([[["go", "(V*)", "*"], ["-", "(A0*)", "*"], ["run", "*", "(V*)"]]]),
        "pred.props": props_file([[["go", "(V*)"], ["-", "(A0*)"], ["run", "*"]]])}})
    # a sentence with no proposition, and two blank lines in the gold file: reading stops there
    one = [["-", "(A0*)"], ["go", "(V*)"]]
    out.append({"name": "adversarial-two-blank-lines-end-gold", "files": {
        "gold.props": props_file([one]) + "\n" + props_file([one]),
        "pred.props": props_file([one, [["-", "*"], ["go", "(V*)"]]])}})
    out.append({"name": "adversarial-sentence-without-propositions", "files": {
        "gold.props": props_file([[["-"], ["-"]], one]), "pred.props": props_file([[["-"], ["-"]], one])}})
    out.append({"name": "adversarial-more-predicted-sentences", "files": {
        "gold.props": props_file([one]), "pred.props": props_file([one, one])}})
    out.append({"name": "adversarial-sentence-lengths-differ", "files": {
        "gold.props": props_file([one]), "pred.props": props_file([one + [["-", "*"]]])}})
    out.append({"name": "adversarial-empty-files", "files": {"gold.props": "", "pred.props": ""}})
    return out


def srl_cases() -> list[dict]:
    """About 150 cases: random gold/predicted props files and adversarial columns."""
    rng = Random(SRL_SEED)
    return [_random_srl_case(rng, i) for i in range(120)] + _adversarial_srl_cases()


def _srl_lines(output: str) -> list[str]:
    """The lines of srl-eval.pl's report that carry numbers (header and rules left out)."""
    return [line for line in output.splitlines() if line.strip() and not set(line) <= {"-"}
            and not line.lstrip().startswith("corr.")]


def record_srl(scorer: Path, cases: list[dict], workdir: Path) -> dict:
    records, full = [], {}
    for case in cases:
        directory = write_case(case["files"], workdir / case["name"])
        run = subprocess.run(["perl", str(scorer), "gold.props", "pred.props"], cwd=directory,
                             capture_output=True, text=True)
        record = {"name": case["name"], "inputs": digest(case["files"])}
        if run.returncode != 0:
            record["refused"] = run.stderr.strip().splitlines()[-1].split(" at /")[0]
        else:
            record["lines"] = _srl_lines(run.stdout)
            if case["name"] in ("random-000", "adversarial-continuation"):
                full[case["name"]] = run.stdout
        records.append(record)
    return {"scorer": "srl-eval.pl (CoNLL-2005; allennlp/tools/srl-eval.pl in the history of allenai/allennlp), "
                      "perl srl-eval.pl gold.props pred.props",
            "generator": f"scripts/official_scorer_cases.py srl_cases() (seed {SRL_SEED})",
            "cases": records, "full_output": full}


# === named entities (conlleval) =====================================================================

CONLLEVAL_SEED = 2003
NER_TYPES = ("PER", "LOC", "ORG", "MISC")


def _random_tags(rng: Random, length: int, scheme: str, types=NER_TYPES) -> list[str]:
    """A well-formed IOB1 or BIO sequence."""
    tags, i = [], 0
    while i < length:
        if rng.random() < 0.55:
            tags.append("O")
            i += 1
            continue
        kind = rng.choice(types)
        width = min(length - i, rng.choice([1, 1, 2, 2, 3, 4]))
        first = "B" if scheme == "BIO" or (tags and tags[-1] != "O" and tags[-1][2:] == kind) else "I"
        tags += [f"{first}-{kind}"] + [f"I-{kind}"] * (width - 1)
        i += width
    return tags


def _noisy(rng: Random, tags: list[str], strength: float, extra: tuple[str, ...] = ()) -> list[str]:
    """Tags with a share of positions changed to any tag (invalid sequences included)."""
    choices = ["O", *(f"{p}-{k}" for k in NER_TYPES for p in "BI"), *extra]
    return [rng.choice(choices) if rng.random() < strength else t for t in tags]


def conlleval_file(sentences: list[list[tuple[str, str, str]]], docstart: bool = False, final_blank: bool = True,
                   ) -> str:
    """conlleval input: ``token POS gold guessed`` per line, a blank line after each sentence."""
    lines = ["-DOCSTART- -X- O O", ""] if docstart else []
    for sentence in sentences:
        lines += [f"{tok} NN {gold} {guess}" for tok, gold, guess in sentence] + [""]
    if not final_blank and lines:
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


def _random_conlleval_case(rng: Random, index: int) -> dict:
    scheme = rng.choice(["IOB1", "BIO"])
    strength = rng.choice([0.0, 0.05, 0.15, 0.3, 0.6])
    extra = rng.choice([(), (), ("B-AM-TMP", "I-AM-TMP"), ("E-PER", "S-LOC"), ("B", "I"), ("B-0", "I-0")])
    sentences = []
    for s in range(rng.randint(1, 8)):
        gold = _random_tags(rng, rng.randint(1, 15), scheme)
        guess = _noisy(rng, gold, strength, extra)
        if extra and rng.random() < 0.3:
            gold = _noisy(rng, gold, 0.1, extra)
        sentences.append([(f"w{s}_{i}", g, p) for i, (g, p) in enumerate(zip(gold, guess))])
    text = conlleval_file(sentences, docstart=rng.random() < 0.3, final_blank=rng.random() < 0.85)
    return {"name": f"random-{index:03d}", "files": {"input.txt": text}}


def _adversarial_conlleval_cases() -> list[dict]:
    def case(tag, text):
        return {"name": f"adversarial-{tag}", "files": {"input.txt": text}}

    def rows(*pairs):
        return "".join("" if p is None else f"w {p[0]} {p[1]}\n" for p in pairs)

    return [
        case("i-after-o-starts", rows(("O", "O"), ("I-PER", "I-PER"), ("I-PER", "O"), None)),
        case("type-change-starts", rows(("B-PER", "B-PER"), ("I-PER", "I-LOC"), ("I-PER", "I-LOC"), None)),
        case("iob1-b-between-same-type", rows(("I-PER", "I-PER"), ("B-PER", "I-PER"), ("I-PER", "I-PER"), None)),
        case("sentence-break-closes", rows(("B-PER", "B-PER"), None, ("I-PER", "I-PER"), None)),
        case("no-break-at-end", rows(("B-PER", "B-PER"), ("I-PER", "I-PER"))),
        case("x-boundary-line", "w B-PER B-PER\n-X- B-PER I-PER\nw I-PER I-PER\n\n"),
        case("docstart-counts-as-token", "-DOCSTART- O O\n\nw B-PER B-PER\n\n"),
        case("hyphen-in-type", rows(("B-AM-TMP", "B-AM-TMP"), ("I-AM-TMP", "I-AM"), ("O", "B-AM-LOC"), None)),
        case("no-type", rows(("B", "B"), ("I", "I"), ("O", "B"), ("B-X", "B"), None)),
        case("zero-type", rows(("B-0", "B-0"), ("I-0", "B"), ("B-PER", "B-0"), None)),
        case("empty-type", rows(("B-", "B-"), ("I-", "I"), None)),
        case("bioes-tags", rows(("B-PER", "B-PER"), ("E-PER", "I-PER"), ("S-LOC", "B-LOC"), ("O", "E-LOC"),
                                ("E-ORG", "E-ORG"), ("E-ORG", "E-ORG"), None)),
        case("bracket-and-dot-tags", rows(("[", "["), ("]", "O"), (".", "."), ("B-PER", "."), None)),
        case("unknown-prefixes", rows(("X-PER", "X-PER"), ("Y-PER", "B-PER"), ("O", "Z-LOC"), None)),
        case("lowercase-and-long-types", rows(("B-person", "B-person"), ("B-ORGANIZATION-UNIT", "I-ORGANIZATION-UNIT"),
                                              None)),
        case("all-o", rows(("O", "O"), ("O", "O"), None)),
        case("only-guessed", rows(("O", "B-PER"), ("O", "I-LOC"), None)),
        case("only-gold", rows(("B-PER", "O"), ("I-LOC", "O"), None)),
        case("double-space", "w  B-PER B-PER\nw  I-PER O\n\n"),
        case("width-changes-refused", "w NN B-PER B-PER\nw I-PER I-PER\n\n"),
        case("one-field-refused", "B-PER\n\n"),
        case("empty-input", ""),
        case("only-blank-lines", "\n\n\n"),
        case("crlf-line-ends", "w B-PER B-PER\r\nw I-PER I-PER\r\n\r\n"),
    ]


def conlleval_cases() -> list[dict]:
    """About 150 cases: random IOB1/BIO files with noise (odd tags included) and adversarial ones."""
    rng = Random(CONLLEVAL_SEED)
    return [_random_conlleval_case(rng, i) for i in range(130)] + _adversarial_conlleval_cases()


def record_conlleval(scorer: Path, cases: list[dict], workdir: Path) -> dict:
    records, full = [], {}
    for case in cases:
        directory = write_case(case["files"], workdir / case["name"])
        with open(directory / "input.txt", "rb") as handle:
            run = subprocess.run(["perl", str(scorer)], stdin=handle, capture_output=True)
        record = {"name": case["name"], "inputs": digest(case["files"])}
        stdout, stderr = run.stdout.decode("utf-8"), run.stderr.decode("utf-8")
        if run.returncode != 0:
            record["refused"] = stderr.strip().splitlines()[-1].split(" at /")[0]
        else:
            record["lines"] = stdout.splitlines()
        records.append(record)
    return {"scorer": "conlleval (CoNLL-2000/2003, version 2004-01-26, as in glample/tagger evaluation/conlleval), "
                      "perl conlleval < input.txt",
            "generator": f"scripts/official_scorer_cases.py conlleval_cases() (seed {CONLLEVAL_SEED})",
            "cases": records, "full_output": full}


# === reading comprehension (SQuAD v1.1 evaluate-v1.1.py) ===========================================

SQUAD_SEED = 2016
SQUAD_WORDS = ("Paris", "the", "a", "an", "The", "river", "Seine", "1858", "state-of-the-art", "Saint",
               "Bernadette", "Soubirous", "U.S.", "A", "An", "theory", "atheist", "café", "Zürich", "don't",
               "\u201cquoted\u201d", "\u2014", "dash\u2013range", "and", "of", "(1858)", "100%", "$5", "e.g.",
               "ÉCOLE", "Straße", "x", "X", "...", "\u2026", "a.m.", "rock'n'roll", "9/11", "#1")


def _answer(rng: Random) -> str:
    words = [rng.choice(SQUAD_WORDS) for _ in range(rng.randint(1, 5))]
    return rng.choice([" ", " ", "  ", "\t", "\n"]).join(words)


def _predict(rng: Random, golds: list[str]) -> str:
    gold = rng.choice(golds)
    words = gold.split()
    r = rng.random()
    if r < 0.25:
        return gold
    if r < 0.35:
        return gold.upper() if rng.random() < 0.5 else gold.lower()
    if r < 0.45:
        return rng.choice(["the ", "A ", "an ", ""]) + gold + rng.choice([".", "!", " ,", "", "\u201d"])
    if r < 0.6 and words:
        start = rng.randrange(len(words))
        return " ".join(words[start:start + rng.randint(1, 3)])
    if r < 0.7:
        return gold + " " + _answer(rng)
    if r < 0.75:
        return rng.choice(["", " ", "the", "a an the", ".", "\u2014"])
    return _answer(rng)


def _random_squad_case(rng: Random, index: int) -> dict:
    data, predictions = [], {}
    for a in range(rng.randint(1, 3)):
        paragraphs = []
        for p in range(rng.randint(1, 3)):
            qas = []
            for q in range(rng.randint(1, 6)):
                qid = f"q{index}_{a}_{p}_{q}"
                golds = [_answer(rng) for _ in range(rng.choice([1, 1, 2, 3, 3, 5]))]
                if rng.random() < 0.2:
                    golds.append(golds[0])  # a repeated gold answer
                qas.append({"id": qid, "question": "?", "answers": [{"text": g, "answer_start": 0} for g in golds]})
                if rng.random() < 0.93:
                    predictions[qid] = _predict(rng, golds)
            paragraphs.append({"context": "-", "qas": qas})
        data.append({"title": f"t{a}", "paragraphs": paragraphs})
    if rng.random() < 0.2:
        predictions["not-a-question"] = "Paris"  # ignored
    if rng.random() < 0.1:  # a question id twice in the dataset: counted twice
        data[0]["paragraphs"][0]["qas"].append(dict(data[0]["paragraphs"][0]["qas"][0]))
    return {"name": f"random-{index:03d}", "files": {
        "dataset.json": json.dumps({"version": "1.1", "data": data}, ensure_ascii=rng.random() < 0.5) + "\n",
        "predictions.json": json.dumps(predictions, ensure_ascii=rng.random() < 0.5) + "\n"}}


def _adversarial_squad_cases() -> list[dict]:
    cases = {
        "hyphen-deleted": (["state-of-the-art"], "state of the art"),
        "articles-whole-words": (["Theory of the atheist"], "theory of atheist"),
        "unicode-punctuation-stays": (["\u201cquoted\u201d \u2014 text\u2026"], "quoted text"),
        "both-empty": (["An"], "."),
        "empty-prediction": (["Paris"], ""),
        "em-and-f1-from-different-golds": (["dog", "cat sat on mat"], "cat"),
        "repeated-tokens": (["x y y"], "x x y"),
        "f1-thirds": (["one two three"], "one"),
        "case-folding": (["STRASSE"], "straße"),
        "whitespace-kinds": (["new\u00a0york"], "new york"),
        "tabs-and-newlines": (["new\tyork\n"], " new  york "),
    }
    out = []
    for tag, (golds, prediction) in cases.items():
        data = [{"title": "t", "paragraphs": [{"context": "-", "qas": [
            {"id": "q", "question": "?", "answers": [{"text": g, "answer_start": 0} for g in golds]},
            {"id": "r", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]}]}]}]
        out.append({"name": f"adversarial-{tag}", "files": {
            "dataset.json": json.dumps({"version": "1.1", "data": data}) + "\n",
            "predictions.json": json.dumps({"q": prediction, "r": "Paris"}) + "\n"}})
    data = [{"title": "t", "paragraphs": [{"context": "-", "qas": [
        {"id": f"q{i}", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]} for i in range(3)]}]}]
    out.append({"name": "adversarial-all-missing", "files": {
        "dataset.json": json.dumps({"version": "1.1", "data": data}) + "\n",
        "predictions.json": json.dumps({"other": "Paris"}) + "\n"}})
    out.append({"name": "adversarial-other-version", "files": {
        "dataset.json": json.dumps({"version": "2.0", "data": data}) + "\n",
        "predictions.json": json.dumps({"q0": "Paris", "q1": "paris."}) + "\n"}})
    return out


def squad_cases() -> list[dict]:
    """About 130 cases: random datasets and predictions (articles, punctuation, Unicode, whitespace)."""
    rng = Random(SQUAD_SEED)
    return [_random_squad_case(rng, i) for i in range(120)] + _adversarial_squad_cases()


def record_squad(scorer: Path, cases: list[dict], workdir: Path) -> dict:
    records = []
    for case in cases:
        directory = write_case(case["files"], workdir / case["name"])
        run = subprocess.run([sys.executable, str(scorer), "dataset.json", "predictions.json"], cwd=directory,
                             capture_output=True, text=True, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
        record = {"name": case["name"], "inputs": digest(case["files"])}
        if run.returncode != 0:
            record["refused"] = run.stderr.strip().splitlines()[-1]
        else:
            record["output"] = run.stdout.strip()
            record["unanswered"] = sum(line.startswith("Unanswered question") for line in run.stderr.splitlines())
        records.append(record)
    return {"scorer": f"SQuAD v1.1 evaluate-v1.1.py, run by Python {sys.version.split()[0]}: "
                      "python evaluate-v1.1.py dataset.json predictions.json",
            "generator": f"scripts/official_scorer_cases.py squad_cases() (seed {SQUAD_SEED})",
            "cases": records}


# === main ===========================================================================================

SCORERS = {
    "coref": (coref_cases, record_coref, "coref_scorer_v8.01.json"),
    "srl": (srl_cases, record_srl, "srl_eval_pl.json"),
    "conlleval": (conlleval_cases, record_conlleval, "conlleval.json"),
    "squad": (squad_cases, record_squad, "squad_evaluate_v1.1.json"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    record = sub.add_parser("record", help="run the official scorers on the generated inputs, write fixtures")
    for name in SCORERS:
        record.add_argument(f"--{name}", type=Path, help=f"path of the official {name} scorer")
    record.add_argument("--out", type=Path, default=FIXTURES)
    inputs = sub.add_parser("inputs", help="write the generated inputs, one folder per case")
    inputs.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    if args.command == "inputs":
        for name, (make, _, _) in SCORERS.items():
            for case in make():
                write_case(case["files"], args.directory / name / case["name"])
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (make, run, fixture) in SCORERS.items():
        scorer = getattr(args, name)
        if scorer is None:
            continue
        with tempfile.TemporaryDirectory() as workdir:
            result = run(scorer.resolve(), make(), Path(workdir))
        with open(args.out / fixture, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=0, ensure_ascii=False)
            handle.write("\n")
        print(f"{fixture}: {len(result['cases'])} cases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
