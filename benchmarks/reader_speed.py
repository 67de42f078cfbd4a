"""Reading speed of the column-format readers (CoNLL-2003, CoNLL-2005, CoNLL-2012), in tokens per second.

Run: ``OMP_NUM_THREADS=1 python benchmarks/reader_speed.py [--quick] [--real DIR ...]``. Writes
``results/benchmarks/reader_speed.json``.

Measures, on one core (the readers are pure Python), the best of ``--repeats`` full reads of:
  - synthetic files this script writes with a fixed seed, in each format's real column layout and at
    the real files' densities (CoNLL-2012: about 2.6 predicates per sentence, with named-entity,
    argument and coreference brackets; CoNLL-2005: words beside the props columns);
  - the real files, where ``--real`` points at them (a file or a folder; the format is taken from the
    file names: ``*gold_conll`` is CoNLL-2012, ``*.props*`` / a ``words``+``props`` release folder is
    CoNLL-2005, anything else CoNLL-2003).
Tokens are words (one row per token), counted from what the reader returns.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import tempfile
import time
from pathlib import Path

from elmo_eval.readers.conll2003 import read_conll2003
from elmo_eval.readers.conll2005 import read_conll2005
from elmo_eval.readers.conll2012 import read_conll2012

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGET_TOKENS_PER_S = 200_000

WORDS = ["the", "company", "said", "Mr.", "Vinken", "will", "join", "board", "as", "a", "director", "Nov.",
         "29", ",", ".", "of", "Pierre", "61", "years", "old", "chairman", "N.V.", "Dutch", "publishing"]
POS = ["DT", "NN", "VBD", "NNP", "MD", "VB", "IN", "CD", ",", "."]
ENTITIES = ["PERSON", "ORG", "GPE", "DATE", "CARDINAL"]
ROLES = ["ARG0", "ARG1", "ARG2", "ARGM-TMP", "ARGM-LOC"]


def _bracket_column(rng: random.Random, length: int, labels: list[str], spans: int,
                    fixed: tuple[str, int, int] | None = None) -> list[str]:
    """``(LABEL*`` / ``*`` / ``*)`` tags for up to ``spans`` non-overlapping spans."""
    tags = ["*"] * length
    chosen = [fixed] if fixed else []
    for _ in range(spans):
        start = rng.randrange(length)
        end = min(length - 1, start + rng.randrange(4))
        if all(end < s or start > e for _, s, e in chosen):
            chosen.append((rng.choice(labels), start, end))
    for label, start, end in chosen:
        tags[start] = f"({label}*" + (")" if start == end else "")
        if end != start:
            tags[end] = "*)"
    return tags


def write_conll2012(path: Path, sentences: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines = []
    per_part = 40
    for part_start in range(0, sentences, per_part):
        doc = f"nw/wsj/00/wsj_{part_start // per_part:04d}"
        lines.append(f"#begin document ({doc}); part 000")
        next_entity = 0
        for _ in range(min(per_part, sentences - part_start)):
            length = rng.randint(8, 30)
            predicates = sorted(rng.sample(range(length), min(length, rng.choice([1, 2, 3, 3, 4]))))
            entities = _bracket_column(rng, length, ENTITIES, 2)
            args = [_bracket_column(rng, length, ROLES, 3, ("V", p, p)) for p in predicates]
            coref = ["-"] * length
            for _ in range(2):
                start = rng.randrange(length)
                end = min(length - 1, start + rng.randrange(3))
                cluster = rng.randrange(next_entity + 1)
                next_entity = max(next_entity, cluster + 1)
                if coref[start] == "-" and coref[end] == "-":
                    if start == end:
                        coref[start] = f"({cluster})"
                    else:
                        coref[start], coref[end] = f"({cluster}", f"{cluster})"
            for i in range(length):
                lemma = "say" if i in predicates else "-"
                frameset = "01" if i in predicates else "-"
                row = [doc, "0", str(i), rng.choice(WORDS), rng.choice(POS), "*", lemma, frameset, "-",
                       "Speaker#1", entities[i], *(a[i] for a in args), coref[i]]
                lines.append("   ".join(row))
            lines.append("")
        lines.append("#end document")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_conll2005(path: Path, sentences: int, seed: int = 0) -> None:
    """Words beside the props columns (``paste words props``): word, lemma-or-``-``, one column per predicate."""
    rng = random.Random(seed)
    lines = []
    for _ in range(sentences):
        length = rng.randint(8, 40)
        predicates = sorted(rng.sample(range(length), min(length, rng.choice([1, 2, 2, 3]))))
        args = [_bracket_column(rng, length, ROLES, 3, ("V", p, p)) for p in predicates]
        for i in range(length):
            lines.append(" ".join([rng.choice(WORDS), "say" if i in predicates else "-", *(a[i] for a in args)]))
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_conll2003(path: Path, sentences: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines = ["-DOCSTART- -X- -X- O", ""]
    for n in range(sentences):
        if n and n % 15 == 0:
            lines += ["-DOCSTART- -X- -X- O", ""]
        for _ in range(rng.randint(5, 25)):
            tag = rng.choice(["O", "O", "O", "I-PER", "I-ORG", "B-LOC", "I-MISC"])
            lines.append(f"{rng.choice(WORDS)} {rng.choice(POS)} I-NP {tag}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def count_tokens(format_name: str, path: Path) -> int:
    if format_name == "conll2003":
        return sum(len(s.tokens) for s in read_conll2003(path))
    if format_name == "conll2005":
        return sum(len(s.words) for s in read_conll2005(path))
    return sum(len(s.words) for d in read_conll2012(path) for s in d.sentences)


def time_reader(format_name: str, path: Path, repeats: int) -> dict:
    """Best-of-``repeats`` CPU time of one full read (this process, one thread); tokens/s from it.

    CPU time rather than wall time: on a shared machine the wall time counts other processes' turns.
    """
    best, best_wall, tokens = float("inf"), float("inf"), 0
    for _ in range(repeats):
        start, start_wall = time.process_time(), time.perf_counter()
        tokens = count_tokens(format_name, path)
        best = min(best, time.process_time() - start)
        best_wall = min(best_wall, time.perf_counter() - start_wall)
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    size = sum(f.stat().st_size for f in files)
    return {"tokens": tokens, "bytes": size, "best_cpu_seconds": round(best, 4),
            "best_wall_seconds": round(best_wall, 4),
            "tokens_per_s": round(tokens / best), "meets_target": tokens / best >= TARGET_TOKENS_PER_S}


def real_format(path: Path) -> str:
    names = [path.name] if path.is_file() else [p.name for p in path.rglob("*")]
    if any(n.endswith("gold_conll") for n in names):
        return "conll2012"
    if any(".props" in n or n == "props" for n in names):
        return "conll2005"
    return "conll2003"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small files, one repeat (a smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--real", nargs="*", default=[], type=Path,
                        help="real files or folders to time as well (all after one --real)")
    parser.add_argument("--output", type=Path,
                        default=PROJECT_ROOT / "results" / "benchmarks" / "reader_speed.json")
    args = parser.parse_args(argv)
    sentences = 2_000 if args.quick else 20_000
    repeats = 1 if args.quick else args.repeats
    report = {
        "what": "tokens per CPU-second of one full read (best of repeats), pure Python on one core",
        "command": "OMP_NUM_THREADS=1 python benchmarks/reader_speed.py" + (" --quick" if args.quick else "")
                   + (" --real " + " ".join(p.name for p in args.real) if args.real else ""),
        "target_tokens_per_s": TARGET_TOKENS_PER_S,
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "repeats": repeats,
        "synthetic": {},
        "real": {},
    }
    writers = {"conll2003": write_conll2003, "conll2005": write_conll2005, "conll2012": write_conll2012}
    with tempfile.TemporaryDirectory() as tmp:
        for name, write in writers.items():
            path = Path(tmp) / (f"{name}.gold_conll" if name == "conll2012" else f"{name}.txt")
            write(path, sentences)
            report["synthetic"][name] = time_reader(name, path, repeats)
            print(name, "synthetic", report["synthetic"][name], flush=True)
    for path in args.real:
        name = real_format(path)
        report["real"][f"{path.name} ({name})"] = time_reader(name, path, repeats)
        print(path, name, report["real"][f"{path.name} ({name})"], flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
