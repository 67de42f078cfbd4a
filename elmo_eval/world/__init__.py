"""The embedded default world: a generated corpus and every task in its official file format.

With no internet, no official weights and no licensed data, ``elmo-eval world``
builds a deterministic stand-in: one shared grammar produces an unlabeled
corpus (for pretraining a small biLM and PPMI+SVD word vectors) and small
labeled task sets whose labels depend on context that the corpus shows many
times (ambiguous names, negation and ``but``, passives and datives, hypernyms,
pronouns).  Same seed and size give byte-identical files.

Layout of ``DIR`` (readers and the runner rely on these exact paths)::

    DIR/world.json                                   sizes, seed, version, vocabulary stats, OOV rates,
                                                     word-identity baselines, phenomena, file list
    DIR/corpus/train.txt, heldout.txt                tokenized, one sentence per line
    DIR/ner/{train,dev,test}.txt                     CoNLL-2003 "token POS chunk NER", IOB1, -DOCSTART- lines
    DIR/sst/{train,dev,test}.txt                     SST PTB trees, binary, label 0-4 on every node
    DIR/snli/snli_1.0_{train,dev,test}.jsonl         SNLI 1.0 JSONL (same keys; ~1% gold "-")
    DIR/squad/{train,dev,test}-v1.1.json             SQuAD 1.1 JSON (dev/test: 3 answers per question)
    DIR/conll2012/{train,development,test}/*.gold_conll   CoNLL-2012 columns with SRL and coreference
    DIR/agnews/{train,dev,test}.csv                  AG News CSV "class","title","description", no header

Python API: :func:`generate_world`; CLI: ``elmo-eval world --out DIR --seed N --size small|default|large``
(:func:`elmo_eval.world.cli.register`).  Size table: :data:`elmo_eval.world.config.SIZES`.
"""
__all__ = ["generate_world"]


def __getattr__(name: str):
    # generate_world on first use: ``elmo-eval --help`` imports this package (for ``world.cli``)
    # and should not pay for numpy and every generator module.
    if name == "generate_world":
        from .generate import generate_world

        return generate_world
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
