"""AG News CSV files (``agnews/{train,dev,test}.csv``): ``"class","title","description"``, no header.

Every field is quoted and embedded quotes doubled, as in the original
``train.csv``; classes 1 World, 2 Sports, 3 Business, 4 Sci/Tech.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from .config import SPLITS, SizeSpec, stream
from .headlines import headline
from .lexicon import Lexicon
from .stats import oov_rate
from .trees import detokenize

PHENOMENA = [
    "class-neutral templates: only the article's topic noun decides the class",
    "rare topic nouns whose class only the corpus shows (section headers); half never in labeled train",
    "rare topic nouns end in class endings (-umba/-ix sports, ...) that a character biLM learns from the corpus",
    "shared topic words (record, deal, launch, ...) and one name stem across classes",
    "distracting other-class topic word in a fifth of descriptions",
]


def write_agnews(out_dir: Path, lexicon: Lexicon, spec: SizeSpec, seed: int) -> dict:
    (out_dir / "agnews").mkdir(parents=True, exist_ok=True)
    info: dict = {"files": {}, "phenomena": PHENOMENA}
    vocab: dict[str, Counter] = {}
    for split, count in zip(SPLITS, spec.agnews):
        rng = stream(seed, f"agnews:{split}")
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        classes = Counter()
        vocab[split] = Counter()
        for _ in range(count):
            cls = rng.randint(1, 4)
            title, description = headline(cls, lexicon, rng, split == "train")
            writer.writerow([str(cls), detokenize(title)[0], detokenize(description)[0]])
            classes[str(cls)] += 1
            vocab[split].update(title + description)
        (out_dir / "agnews" / f"{split}.csv").write_text(buffer.getvalue(), encoding="utf-8")
        info["files"][f"agnews/{split}.csv"] = {"articles": count, "classes": dict(sorted(classes.items()))}
    info["oov"] = {s: oov_rate(vocab["train"], vocab[s]) for s in ("dev", "test")}
    return info
