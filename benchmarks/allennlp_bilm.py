"""Load AllenNLP's ELMo bi-LM modules from a source checkout, without installing AllenNLP.

Used by ``benchmarks/encoder_speed.py --against-allennlp PATH`` only; no AllenNLP code is in this
repository. ``PATH`` is a directory holding AllenNLP's ``allennlp/`` package (2.x, e.g. an
extracted ``github.com/allenai/allennlp`` checkout; 2.10 tested), or that package directory itself.

``import allennlp`` would run ``allennlp/__init__.py``, which needs transformers, spacy and more.
Instead this registers empty package modules for ``allennlp``, ``allennlp.common``,
``allennlp.data``, ``allennlp.modules`` and ``allennlp.nn`` (with ``__path__`` pointing at the
checkout, so their submodules load from its files), plus small stand-ins for the submodules the
bi-LM files import but do not use for inference:

  - ``allennlp.common``: ``FromParams`` / ``Registrable`` (empty base classes);
  - ``allennlp.common.file_utils.cached_path``: the identity (local files only);
  - ``allennlp.common.util``: ``lazy_groups_of``, ``pad_sequence_to_length``, ``int_to_device``,
    ``is_distributed`` (False), ``is_global_primary`` (True);
  - ``allennlp.nn.initializers.block_orthogonal``: a no-op (the weights are loaded from the file
    right after construction);
  - ``allennlp.data`` names imported by ``elmo.py`` / ``elmo_indexer.py`` (``Instance``, ``Token``,
    ``Vocabulary``, ``Batch``, ``TextField``, ``TokenIndexer``, ``IndexedTokenList``): placeholders.

Everything the bi-LM computes runs from AllenNLP's own files: ``modules/elmo.py``
(``_ElmoBiLm``, ``_ElmoCharacterEncoder``), ``modules/elmo_lstm.py``,
``modules/lstm_cell_with_projection.py``, ``modules/encoder_base.py``, ``modules/highway.py``,
``nn/util.py``, ``common/checks.py`` and ``data/token_indexers/elmo_indexer.py`` (the
``<S>``/``</S>`` character ids). The stand-ins are registered only while importing and removed
afterwards, together with the package modules, so nothing else in the process sees them
(the loaded classes keep their references).
"""
from __future__ import annotations

import importlib
import sys
import types
from itertools import islice
from pathlib import Path


def _package_root(path: str | Path) -> Path:
    """The directory that contains ``allennlp/modules/elmo.py``."""
    path = Path(path).expanduser().resolve()
    for candidate in (path, path.parent):
        if (candidate / "allennlp" / "modules" / "elmo.py").is_file():
            return candidate
    raise FileNotFoundError(f"{path}: no allennlp/modules/elmo.py there (expected an AllenNLP 2.x source tree)")


def _module(name: str, package_dir: Path | None = None, **attributes) -> types.ModuleType:
    module = types.ModuleType(name)
    if package_dir is not None:
        module.__path__ = [str(package_dir)]
    module.__dict__.update(attributes)
    return module


def _lazy_groups_of(iterable, group_size):
    iterator = iter(iterable)
    while True:
        group = list(islice(iterator, group_size))
        if not group:
            return
        yield group


def _pad_sequence_to_length(sequence, desired_length, default_value=lambda: 0, padding_on_right=True):
    sequence = list(sequence)[:desired_length]
    padding = [default_value() for _ in range(desired_length - len(sequence))]
    return sequence + padding if padding_on_right else padding + sequence


_LOADED: dict[str, type] = {}


class _Registrable:
    @classmethod
    def register(cls, *args, **kwargs):
        return lambda subclass: subclass


def load_allennlp_bilm(path: str | Path) -> type:
    """AllenNLP's ``_ElmoBiLm`` class, imported from the checkout at ``path`` (see the module docstring).

    ``_ElmoBiLm(options_file, weight_file)`` reads the official ``options.json`` + HDF5 layout;
    ``forward(char_ids)`` returns ``{"activations": [B, T+2, 2P] per layer, "mask": [B, T+2]}``.
    """
    root = _package_root(path) / "allennlp"
    placeholder = type("Placeholder", (), {})
    stand_ins = {
        "allennlp": _module("allennlp", root),
        "allennlp.common": _module("allennlp.common", root / "common", FromParams=type("FromParams", (), {}),
                                   Registrable=_Registrable, Params=dict),
        "allennlp.common.file_utils": _module("allennlp.common.file_utils",
                                              cached_path=lambda path, *args, **kwargs: path),
        "allennlp.common.util": _module("allennlp.common.util", lazy_groups_of=_lazy_groups_of,
                                        pad_sequence_to_length=_pad_sequence_to_length,
                                        int_to_device=lambda device: device, is_distributed=lambda: False,
                                        is_global_primary=lambda: True),
        "allennlp.nn": _module("allennlp.nn", root / "nn"),
        "allennlp.nn.initializers": _module("allennlp.nn.initializers",
                                            block_orthogonal=lambda tensor, split_sizes, gain=1.0: None),
        "allennlp.modules": _module("allennlp.modules", root / "modules"),
        "allennlp.data": _module("allennlp.data", root / "data"),
        "allennlp.data.instance": _module("allennlp.data.instance", Instance=placeholder),
        "allennlp.data.tokenizers": _module("allennlp.data.tokenizers", Token=placeholder),
        "allennlp.data.tokenizers.token_class": _module("allennlp.data.tokenizers.token_class", Token=placeholder),
        "allennlp.data.vocabulary": _module("allennlp.data.vocabulary", Vocabulary=placeholder),
        "allennlp.data.batch": _module("allennlp.data.batch", Batch=placeholder),
        "allennlp.data.fields": _module("allennlp.data.fields", TextField=placeholder),
        "allennlp.data.token_indexers": _module("allennlp.data.token_indexers", root / "data" / "token_indexers"),
        "allennlp.data.token_indexers.token_indexer": _module("allennlp.data.token_indexers.token_indexer",
                                                              TokenIndexer=_Registrable, IndexedTokenList=dict),
    }
    if str(root) in _LOADED:
        return _LOADED[str(root)]
    clashing = [name for name in sys.modules if name == "allennlp" or name.startswith("allennlp.")]
    if clashing:
        raise RuntimeError(f"an allennlp module is already imported ({clashing[0]}); use a fresh process")
    sys.modules.update(stand_ins)
    try:
        elmo = importlib.import_module("allennlp.modules.elmo")
    finally:
        for name in [name for name in sys.modules if name == "allennlp" or name.startswith("allennlp.")]:
            del sys.modules[name]
    _LOADED[str(root)] = elmo._ElmoBiLm
    return elmo._ElmoBiLm


def allennlp_version(path: str | Path) -> str:
    """The version in the checkout's ``allennlp/version.py`` (``"unknown"`` if it cannot be read)."""
    import re

    try:
        text = (_package_root(path) / "allennlp" / "version.py").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    parts = [re.search(rf'^_{name}\s*=\s*"([^"]*)"', text, re.MULTILINE) for name in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(part.group(1) for part in parts) if all(parts) else "unknown"
