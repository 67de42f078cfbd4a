"""Which context-free word vectors the word-only baseline gets, and how its row says so.

The paper's baseline reads GloVe; the fair comparison on this project's own biLMs gives the
baseline vectors from the same text the biLM was pretrained on, so neither side saw more:

- ``--glove FILE``: that file (GloVe text format), on every data source;
- the generated world: PPMI + truncated SVD over the world's corpus;
- real data and a biLM from ``elmo-eval pretrain`` (``bilm:DIR`` / ``--bilm DIR``): PPMI + truncated
  SVD (50d) over the biLM's own pretraining files, read from its ``pretrain_result.json`` and cached
  under the cache folder by those files' sha256;
- real data and any other encoder with no ``--glove``: a usage error. The baseline never gets
  silently random vectors (they would also train where a spec says frozen).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.io import sha256_of
from elmo_eval.word_vectors import PretrainedVectors

DIM = 50


class MissingVectorsError(UsageError):
    """Real data, no ``--glove``, and no pretraining corpus to build the baseline's vectors from."""


def bilm_corpus(bilm_dir: Path) -> tuple[list[Path], int | None]:
    """The training files a biLM folder written by ``elmo-eval pretrain`` was trained on (in order),
    and their token count; ``([], None)`` when the folder does not record them.

    ``pretrain`` records the paths as it was given them: a relative one is looked up from the current
    folder, else from the folder that holds the biLM (``pretrain --out DIR`` is usually run beside DIR)."""
    record = Path(bilm_dir) / "pretrain_result.json"
    try:
        result = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], None
    beside = Path(bilm_dir).resolve().parent

    def located(path: Path) -> Path:
        return beside / path if not path.is_absolute() and not path.exists() and (beside / path).exists() else path

    files = [located(Path(f)) for f in (result.get("request") or {}).get("train") or []]
    return files, (result.get("train_stats") or {}).get("tokens")


def corpus_vectors_for(files: list[Path], cache_dir: Path, seed: int = 0) -> PretrainedVectors:
    """PPMI + SVD vectors over ``files``, cached by their contents (a changed corpus builds anew)."""
    from elmo_eval.ppmi import corpus_vectors

    key = hashlib.sha1("\n".join(sha256_of(f) for f in files).encode()).hexdigest()[:16]
    out = Path(cache_dir) / "vectors" / f"ppmi-svd-{DIM}d-{key}.txt"
    if not out.exists():
        print(f"baseline word vectors: PPMI + SVD ({DIM}d) over {len(files)} corpus file(s) -> {out}",
              file=sys.stderr, flush=True)
    return corpus_vectors(files, out, dim=DIM, seed=seed)


def glove_vectors(glove: str | Path) -> tuple[PretrainedVectors, str]:
    """A GloVe-format file given with ``--glove`` and the label its leaderboard row carries."""
    return PretrainedVectors.from_file(glove), f"word vectors {Path(glove).name}"


def real_data_vectors(glove: str | Path | None, bilm_dir: Path | None, cache_dir: Path
                      ) -> tuple[PretrainedVectors, str]:
    """The baseline's vectors on real data and the label its leaderboard row carries."""
    if glove:
        return glove_vectors(glove)
    if bilm_dir is not None:
        files, tokens = bilm_corpus(bilm_dir)
        missing = [str(f) for f in files if not f.is_file()]
        if files and not missing:
            size = f", {tokens / 1e6:.2f}M tokens" if tokens else ""
            return (corpus_vectors_for(files, cache_dir),
                    f"PPMI + truncated SVD ({DIM}d) over the biLM's pretraining corpus{size}")
        why = (f"its pretraining files are not here ({missing[0]}{' …' if len(missing) > 1 else ''})" if missing
               else f"{Path(bilm_dir).name} does not record its pretraining corpus (no pretrain_result.json)")
        raise MissingVectorsError(f"baseline word vectors: {why}; give --glove FILE (GloVe text format)")
    raise MissingVectorsError("baseline word vectors: real data needs --glove FILE (GloVe text format) for the "
                              "word-only baseline, or a biLM from `elmo-eval pretrain` whose corpus is here")
