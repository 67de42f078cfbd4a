"""Context-free word vectors from a corpus: positive PMI over a symmetric window, then truncated SVD.

On the generated world the word-only baseline uses these, so the baseline and
the biLM saw the same unlabeled text (a GloVe file replaces them on real data).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD

from elmo_eval.errors import InputFileError
from elmo_eval.readers.text import iter_lines
from elmo_eval.word_vectors import PretrainedVectors, read_glove, write_glove


def ppmi_svd_vectors(sentences: Iterable[list[str]], dim: int = 50, window: int = 2, min_count: int = 2,
                     max_vocab: int = 50000, seed: int = 0) -> PretrainedVectors:
    """Vectors ``[vocab, dim]`` from PPMI (context-distribution smoothing 0.75) and truncated SVD.

    Co-occurrences are counted with numpy over the whole corpus at once (pairs of
    ids at each offset), not per token.
    """
    sentences = [s for s in sentences if s]
    counts = Counter(t for s in sentences for t in s)
    words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count][:max_vocab]
    index = {w: i for i, w in enumerate(words)}
    # One flat id array with -1 separators, so offsets never cross sentences.
    flat = np.fromiter((index.get(t, -1) for s in sentences for t in s + ["\x00"]), dtype=np.int64)
    flat[np.fromiter((t == "\x00" for s in sentences for t in s + ["\x00"]), dtype=bool)] = -2
    rows, cols, vals = [], [], []
    for offset in range(1, window + 1):
        left, right = flat[:-offset], flat[offset:]
        # a pair is valid if neither side is a separator and no separator lies between them
        seps = np.cumsum(flat == -2)
        same_sentence = seps[offset:] == seps[:-offset]
        ok = (left >= 0) & (right >= 0) & same_sentence
        weight = 1.0 / offset  # closer words count more (harmonic window, as GloVe)
        for a, b in ((left[ok], right[ok]), (right[ok], left[ok])):
            rows.append(a)
            cols.append(b)
            vals.append(np.full(a.shape, weight))
    n = len(words)
    cooc = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(n, n)).tocsr()
    total = cooc.sum()
    row_sums = np.asarray(cooc.sum(axis=1)).ravel()
    ctx = np.asarray(cooc.sum(axis=0)).ravel() ** 0.75
    ctx = ctx / ctx.sum()
    coo = cooc.tocoo()
    pmi = np.log((coo.data / total) / ((row_sums[coo.row] / total) * ctx[coo.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(n, n))
    k = max(1, min(dim, n - 1))
    svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized", n_iter=7)
    vectors = svd.fit_transform(ppmi)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-8)
    if k < dim:
        vectors = np.pad(vectors, ((0, 0), (0, dim - k)))
    return PretrainedVectors(words, vectors.astype(np.float32), source="ppmi-svd")


def corpus_vectors(corpus_files: str | Path | list, out_file: str | Path, dim: int = 50,
                   seed: int = 0) -> PretrainedVectors:
    """PPMI+SVD vectors for tokenized corpus files (one sentence per line, read in the order given),
    cached as a GloVe-format text file.

    Always returns the vectors as read back from that file, so the first run (which computes
    them) and later runs (which read them) train with the same, text-rounded numbers. The file is
    written under another name and renamed, so an interrupted build never leaves a partial cache.
    """
    out_file = Path(out_file)
    files = [corpus_files] if isinstance(corpus_files, (str, Path)) else list(corpus_files)
    if not out_file.exists():
        sentences = []
        for corpus_file in files:  # strict UTF-8: a bad byte is an error naming the file and line
            sentences.extend(line.split() for _, line in iter_lines(corpus_file, InputFileError))
        vectors = ppmi_svd_vectors(sentences, dim=dim, seed=seed)
        del sentences
        out_file.parent.mkdir(parents=True, exist_ok=True)
        partial = out_file.with_name(out_file.name + ".partial")
        write_glove(partial, sorted(vectors.index, key=vectors.index.get), vectors.matrix)
        partial.replace(out_file)
    words, matrix = read_glove(out_file)
    return PretrainedVectors(words, matrix, source=out_file.name)
