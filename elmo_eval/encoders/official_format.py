"""Read and write the original (bilm-tf) model format: ``options.json`` + ``weights.hdf5``.

The HDF5 layout uses TensorFlow conventions (``y = x @ W + b``, float32):

=================================================  ==========================================
dataset                                            shape
=================================================  ==========================================
``char_embed``                                     ``[n_characters - 1, char_dim]`` (no row 0)
``CNN/W_cnn_{i}``, ``CNN/b_cnn_{i}``                ``[1, width, char_dim, count]``, ``[count]``
``CNN_high_{k}/W_transform|W_carry``                ``[n_filters, n_filters]``
``CNN_high_{k}/b_transform|b_carry``                ``[n_filters]``
``CNN_proj/W_proj``, ``CNN_proj/b_proj``            ``[n_filters, P]``, ``[P]``
``RNN_{d}/RNN/MultiRNNCell/Cell{l}/LSTMCell/W_0``   ``[input_dim + P, 4*cell]`` (gates i, j, f, o)
``.../LSTMCell/B``                                  ``[4*cell]`` (without TF's +1.0 forget bias)
``.../LSTMCell/W_P_0``                              ``[cell, P]``
=================================================  ==========================================

``d`` = 0 forward, 1 backward. Our modules store parameters in the same
orientation and gate order, and the bias without the forget offset, so loading
and exporting are copies (plus the ``W_0`` split and the conv transpose).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import torch

from elmo_eval.errors import UsageError
from elmo_eval.io import atomic_path, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from .bilm import ElmoBiLM


class WeightsMismatchError(UsageError, ValueError):
    """A weights file lacks a dataset the model needs, or has it with another shape."""


class OfficialFormatError(UsageError, ValueError):
    """An options or weights file is missing, unreadable or malformed."""


_REQUIRED_OPTIONS = [
    ("lstm", "dim"), ("lstm", "projection_dim"), ("lstm", "n_layers"), ("lstm", "use_skip_connections"),
    ("char_cnn", "embedding", "dim"), ("char_cnn", "filters"), ("char_cnn", "n_highway"),
]


def validate_options(options: dict[str, Any], source: str = "options") -> None:
    """Raise :class:`OfficialFormatError` naming ``source`` and the key if ``options`` cannot
    describe an ELMo biLM this package supports."""
    for keys in _REQUIRED_OPTIONS:
        node: Any = options
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                raise OfficialFormatError(f"{source}: missing required key {'.'.join(keys[:depth + 1])}")
            node = node[key]
    if options["lstm"]["use_skip_connections"] is not True:
        raise OfficialFormatError(f"{source}: lstm.use_skip_connections must be true (the biLM "
                                  f"architecture has residual connections), got "
                                  f"{options['lstm']['use_skip_connections']!r}")
    max_chars = options["char_cnn"].get("max_characters_per_token", 50)
    if max_chars != 50:
        raise OfficialFormatError(f"{source}: char_cnn.max_characters_per_token must be 50, got {max_chars}")
    filters = options["char_cnn"]["filters"]
    if not filters or not all(isinstance(f, (list, tuple)) and len(f) == 2 for f in filters):
        raise OfficialFormatError(f"{source}: char_cnn.filters must be a non-empty list of [width, count], "
                                  f"got {filters!r}")


def load_options(path: str | Path) -> dict[str, Any]:
    """Parse and validate an ``options.json``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OfficialFormatError(f"cannot read options file {path}: {error}") from error
    try:
        options = json.loads(text)
    except json.JSONDecodeError as error:
        raise OfficialFormatError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from error
    validate_options(options, source=str(path))
    return options


def _lstm_prefix(direction: int, layer: int) -> str:
    return f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"


def _tensor_mapping(bilm: ElmoBiLM) -> Iterator[tuple[str, Callable[[], np.ndarray], Callable[[np.ndarray], None],
                                                       tuple[int, ...]]]:
    """For each HDF5 dataset: ``(name, export() -> array, load(array), expected file shape)``.

    One table drives loading, exporting and shape checks, so they cannot disagree.
    """
    cnn = bilm.char_cnn

    def param_entry(name: str, param: torch.Tensor):
        def get() -> np.ndarray:
            return param.detach().cpu().float().numpy().copy()

        def put(value: np.ndarray) -> None:
            param.copy_(torch.from_numpy(value))
        return name, get, put, tuple(param.shape)

    embedding = cnn.char_embedding.weight
    yield ("char_embed", lambda: embedding.detach().cpu().float().numpy()[1:].copy(),
           lambda value: (embedding[1:].copy_(torch.from_numpy(value)), embedding[0].zero_()),
           (embedding.shape[0] - 1, embedding.shape[1]))
    for i, conv in enumerate(cnn.convolutions):
        count, char_dim, width = conv.weight.shape
        # torch Conv1d weight [count, char_dim, width] <-> TF [1, width, char_dim, count]
        yield (f"CNN/W_cnn_{i}",
               (lambda conv=conv: conv.weight.detach().cpu().float().permute(2, 1, 0).unsqueeze(0).numpy().copy()),
               (lambda value, conv=conv: conv.weight.copy_(torch.from_numpy(value[0]).permute(2, 1, 0))),
               (1, width, char_dim, count))
        yield param_entry(f"CNN/b_cnn_{i}", conv.bias)
    for k in range(cnn.highway.n_layers):
        yield param_entry(f"CNN_high_{k}/W_transform", cnn.highway.weight_transform[k])
        yield param_entry(f"CNN_high_{k}/b_transform", cnn.highway.bias_transform[k])
        yield param_entry(f"CNN_high_{k}/W_carry", cnn.highway.weight_carry[k])
        yield param_entry(f"CNN_high_{k}/b_carry", cnn.highway.bias_carry[k])
    yield param_entry("CNN_proj/W_proj", cnn.projection_weight)
    yield param_entry("CNN_proj/b_proj", cnn.projection_bias)
    for direction, layers in enumerate([bilm.lstm.forward_layers, bilm.lstm.backward_layers]):
        for index, layer in enumerate(layers):
            prefix = _lstm_prefix(direction, index)

            def get_w0(layer=layer) -> np.ndarray:
                return torch.cat([layer.input_weight, layer.state_weight]).detach().cpu().float().numpy()

            def put_w0(value: np.ndarray, layer=layer) -> None:
                layer.input_weight.copy_(torch.from_numpy(value[: layer.input_dim]))
                layer.state_weight.copy_(torch.from_numpy(value[layer.input_dim:]))
            yield (f"{prefix}/W_0", get_w0, put_w0,
                   (layer.input_dim + layer.projection_dim, 4 * layer.cell_dim))
            yield param_entry(f"{prefix}/B", layer.bias)
            yield param_entry(f"{prefix}/W_P_0", layer.projection_weight)


def _open_hdf5(path: Path, mode: str = "r") -> h5py.File:
    if not path.is_file():
        raise OfficialFormatError(f"weights file {path} does not exist")
    try:
        return h5py.File(path, mode)
    except OSError as error:
        raise OfficialFormatError(f"weights file {path} is not a readable HDF5 file (truncated or another "
                                  f"format?): {error}") from error


def load_official_weights(bilm: ElmoBiLM, weights_file: str | Path) -> None:
    """Copy every tensor of a bilm-tf ``weights.hdf5`` into ``bilm`` (in place).

    Raises :class:`WeightsMismatchError` naming the dataset and both shapes when a dataset is
    missing or has another shape (nothing is half-loaded: all shapes are checked first),
    :class:`OfficialFormatError` when the file is missing or not HDF5.
    """
    path = Path(weights_file)
    with _open_hdf5(path) as handle:
        entries = list(_tensor_mapping(bilm))
        arrays = {}
        for name, _, _, expected in entries:
            if name not in handle or not isinstance(handle[name], h5py.Dataset):
                raise WeightsMismatchError(f"{path}: dataset {name!r} is missing (the model expects shape "
                                           f"{expected})")
            found = tuple(handle[name].shape)
            if found != expected:
                raise WeightsMismatchError(f"{path}: dataset {name!r} has shape {found}, the model (from its "
                                           f"options) expects {expected}")
        for name, _, _, _ in entries:
            try:
                arrays[name] = np.asarray(handle[name][...], dtype=np.float32)
            except OSError as error:
                raise OfficialFormatError(f"weights file {path}: cannot read dataset {name!r} (truncated "
                                          f"file?): {error}") from error
    with torch.no_grad():
        for name, _, put, _ in entries:
            put(arrays[name])


def export_official(bilm: ElmoBiLM, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``out_dir/options.json`` and ``out_dir/weights.hdf5`` in the original layout.

    Loading them back with :meth:`ElmoBiLM.from_official` gives bit-identical parameters.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    options_path = out_dir / "options.json"
    weights_path = out_dir / "weights.hdf5"

    with atomic_path(weights_path) as temporary, h5py.File(temporary, "w") as handle:
        for name, get, _, _ in _tensor_mapping(bilm):
            handle.create_dataset(name, data=get().astype(np.float32))
    atomic_write_text(options_path, json.dumps(bilm.options, indent=2) + "\n")
    return options_path, weights_path
