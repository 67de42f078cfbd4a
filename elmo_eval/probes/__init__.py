"""Intrinsic probes of an encoder's layers (Peters et al. 2018, section 5.3, Tables 4-6).

- :mod:`.data`: probe datasets (the generated world's ``probes/``, CoNLL-2003 POS, CoNLL-2012 POS + senses);
- :mod:`.features`: per-row token features from a cached, frozen layer stack plus the word-only vectors;
- :mod:`.wsd`: word sense disambiguation by nearest sense centroid (Table 5);
- :mod:`.pos`: a linear POS classifier per frozen row (Table 6);
- :mod:`.neighbours`: nearest words vs nearest contexts (Table 4);
- :mod:`.run`: run them and write the result file; :mod:`.tables`: its Markdown; :mod:`.cli`: ``elmo-eval probe``.

Kept import-light: the command registers without importing torch.
"""
