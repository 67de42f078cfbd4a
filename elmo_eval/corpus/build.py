"""``build_corpus``: sources -> decontaminated, tokenized shards + a held-out file + counts.

Output directory::

    train/shard-000.txt ...   one tokenized sentence per line (what ``elmo-eval pretrain --train`` reads)
    heldout.txt               whole held-out documents, one sentence a line, a blank line between documents
    corpus.json               the request and every count printed

Documents are numbered in source order (sources as given, files sorted); held-out
documents are ``heldout_docs`` evenly spaced numbers, so every source contributes in
proportion to its size; training document ``n`` goes to shard ``n % shards``, which mixes
the sources in every shard. Same inputs, same bytes.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .exclude import excluded_keys, sentence_key
from .sources import SourceError, iter_documents
from .tokenize import SentenceTokenizer, training_sample

CORPUS_JSON = "corpus.json"
HELDOUT_NAME = "heldout.txt"
TRAIN_DIR = "train"


@dataclass
class SourceCounts:
    """Counts of one source; ``sentences``/``tokens`` are the kept (training) ones."""

    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    heldout_documents: int = 0
    heldout_sentences: int = 0
    heldout_tokens: int = 0
    dropped_task_sentences: int = 0


@dataclass
class CorpusCounts:
    per_source: dict[str, SourceCounts] = field(default_factory=dict)
    excluded_task_sentences: dict[str, int] = field(default_factory=dict)

    def total(self) -> SourceCounts:
        total = SourceCounts()
        for counts in self.per_source.values():
            for name, value in asdict(counts).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def table(self) -> str:
        header = ("source", "docs", "sentences", "tokens", "held-out docs", "held-out sents", "held-out tokens",
                  "dropped (task)")
        rows = [(name, *asdict(c).values()) for name, c in self.per_source.items()]
        rows.append(("total", *asdict(self.total()).values()))
        cells = [header] + [(str(r[0]), *(f"{v:,}" for v in r[1:])) for r in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
                 for row in cells]
        return "\n".join(lines)


def heldout_numbers(total_documents: int, heldout_docs: int) -> set[int]:
    """``heldout_docs`` evenly spaced document numbers in ``range(total_documents)``."""
    if heldout_docs <= 0:
        return set()
    if heldout_docs >= total_documents:
        raise SourceError(f"--heldout-docs {heldout_docs} leaves no training document "
                          f"(the sources hold {total_documents})")
    return {int((i + 0.5) * total_documents / heldout_docs) for i in range(heldout_docs)}


def build_corpus(sources: Sequence[str | Path], out_dir: str | Path, exclude: Sequence[str | Path] = (),
                 heldout_docs: int = 500, shards: int = 16, sample_chars: int = 1_000_000,
                 overwrite: bool = False, log=sys.stderr) -> CorpusCounts:
    """Build the corpus in ``out_dir`` (written beside it first, renamed at the end, so a failed
    build never leaves a half corpus behind); returns the counts (also in ``corpus.json``)."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise SourceError(f"output directory {out_dir} is not empty (use --overwrite to replace it)")
    started = time.perf_counter()
    keys, per_file = excluded_keys(exclude)
    counts = CorpusCounts(excluded_task_sentences=per_file)
    print(f"excluding {len(keys):,} distinct task sentences from {len(per_file)} file(s)", file=log)

    # Pass 1: number the documents and learn the sentence splitter from every source.
    total_documents = 0
    samples = []
    for source in sources:
        paragraphs: list[str] = []
        documents = sampled_chars = 0
        for document in iter_documents(source):
            documents += 1
            if sampled_chars < sample_chars:
                paragraphs.extend(document.paragraphs)
                sampled_chars += sum(map(len, document.paragraphs))
        if documents == 0:
            raise SourceError(f"source {source} holds no document with text")
        counts.per_source[str(source)] = SourceCounts(documents=documents)
        total_documents += documents
        samples.append(paragraphs)
    tokenizer = SentenceTokenizer(training_sample(samples, sample_chars))
    heldout = heldout_numbers(total_documents, heldout_docs)
    print(f"{total_documents:,} documents in {len(sources)} source(s); sentence splitter trained "
          f"({time.perf_counter() - started:.0f} s)", file=log)

    # Pass 2: split, tokenize, decontaminate, write.
    staging = out_dir.with_name(f".{out_dir.name}.building")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / TRAIN_DIR).mkdir(parents=True)
    shard_files = [open(staging / TRAIN_DIR / f"shard-{i:03d}.txt", "w", encoding="utf-8") for i in range(shards)]
    number = 0
    try:
        with open(staging / HELDOUT_NAME, "w", encoding="utf-8") as heldout_file:
            for source in sources:
                source_counts = counts.per_source[str(source)]
                for document in iter_documents(source):
                    is_heldout = number in heldout
                    lines = []
                    for paragraph in document.paragraphs:
                        for tokens in tokenizer.sentences(paragraph):
                            if sentence_key(tokens) in keys:
                                source_counts.dropped_task_sentences += 1
                                continue
                            lines.append(" ".join(tokens))
                            if is_heldout:
                                source_counts.heldout_sentences += 1
                                source_counts.heldout_tokens += len(tokens)
                            else:
                                source_counts.sentences += 1
                                source_counts.tokens += len(tokens)
                    if is_heldout:
                        source_counts.heldout_documents += 1
                        if lines:
                            heldout_file.write("\n".join(lines) + "\n\n")
                    elif lines:
                        shard_files[number % shards].write("\n".join(lines) + "\n")
                    number += 1
                print(f"{source}: {source_counts.documents:,} documents, {source_counts.sentences:,} sentences, "
                      f"{source_counts.tokens:,} tokens ({time.perf_counter() - started:.0f} s)", file=log)
    finally:
        for handle in shard_files:
            handle.close()
    request = {"sources": [str(s) for s in sources], "exclude": [str(p) for p in exclude],
               "heldout_docs": heldout_docs, "shards": shards, "sample_chars": sample_chars}
    summary = {"request": request, "per_source": {k: asdict(v) for k, v in counts.per_source.items()},
               "total": asdict(counts.total()), "excluded_task_sentences": per_file,
               "distinct_task_sentences": len(keys), "seconds": round(time.perf_counter() - started, 1)}
    (staging / CORPUS_JSON).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    return counts
