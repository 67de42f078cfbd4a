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

Loading checks both files before any parameter changes: every key of the options
(:mod:`.options_schema`), then every dataset of the weights against the model the
options describe, both ways (a missing or misshapen dataset, and a dataset the model
does not use, are errors naming the dataset).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import torch

from elmo_eval.io import atomic_path, atomic_write_text

from .format_errors import OfficialFormatError, OptionsError, WeightsMismatchError
from .options_schema import validate_options

if TYPE_CHECKING:  # pragma: no cover
    from .bilm import ElmoBiLM

__all__ = ["OfficialFormatError", "OptionsError", "WeightsMismatchError", "export_official", "load_official_weights",
           "load_options", "validate_options"]


def load_options(path: str | Path) -> dict[str, Any]:
    """Parse and validate an ``options.json`` (every key: see :mod:`.options_schema`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OfficialFormatError(f"cannot read options file {path}: {error}") from error
    except UnicodeDecodeError as error:
        raise OfficialFormatError(f"{path}: not a JSON options file (not UTF-8 text: {error})") from error
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


def _datasets(handle: h5py.File) -> list[str]:
    """Every dataset's full name in the file, in HDF5's (alphabetical) visiting order."""
    names: list[str] = []
    handle.visititems(lambda name, node: names.append(name) if isinstance(node, h5py.Dataset) else None)
    return names


def _unused_hint(name: str, bilm: ElmoBiLM) -> str:
    """Which option of the model leaves the dataset ``name`` unused."""
    options = bilm.options
    if name.startswith("CNN_high_"):
        return f"char_cnn.n_highway is {options['char_cnn']['n_highway']}"
    if name.startswith("RNN_") and "/Cell" in name:
        return f"lstm.n_layers is {options['lstm']['n_layers']}"
    if name.startswith("CNN/"):
        return f"char_cnn.filters lists {len(options['char_cnn']['filters'])} filters"
    return "the model has no such tensor"


def load_official_weights(bilm: ElmoBiLM, weights_file: str | Path, options_source: str | Path | None = None) -> None:
    """Copy every tensor of a bilm-tf ``weights.hdf5`` into ``bilm`` (in place).

    The file must fit the model its options describe exactly: every dataset the model needs must
    be there with its shape, and every dataset of the file must be one the model uses (an extra
    ``CNN_high_1/*`` against ``n_highway: 1``, or ``Cell1/*`` against ``n_layers: 1``, means the
    options are another model's). Raises :class:`WeightsMismatchError` naming the dataset (the
    first one, for unused datasets) and both shapes or the option that leaves it unused, and
    :class:`OfficialFormatError` when the file is missing, not HDF5 or unreadable. Nothing is
    half-loaded: the file is checked in full before any parameter changes. ``options_source``
    (the options file) is named in the messages where given.
    """
    path = Path(weights_file)
    model = f"the model {options_source} describes" if options_source is not None else \
        "the model its options describe"
    with _open_hdf5(path) as handle:
        entries = list(_tensor_mapping(bilm))
        arrays = {}
        for name, _, _, expected in entries:
            if name not in handle or not isinstance(handle[name], h5py.Dataset):
                raise WeightsMismatchError(f"{path}: dataset {name!r} is missing; {model} needs it with shape "
                                           f"{expected}")
            found = tuple(handle[name].shape)
            if found != expected:
                raise WeightsMismatchError(f"{path}: dataset {name!r} has shape {found}, {model} expects "
                                           f"{expected}")
        wanted = {name for name, _, _, _ in entries}
        unused = [name for name in _datasets(handle) if name not in wanted]
        if unused:
            more = f"; {len(unused)} unused datasets in all" if len(unused) > 1 else ""
            raise WeightsMismatchError(
                f"{path}: dataset {unused[0]!r} is not used by {model} ({_unused_hint(unused[0], bilm)}{more}): "
                "the options and the weights are of different models")
        for name, _, _, _ in entries:
            try:
                arrays[name] = np.asarray(handle[name][...], dtype=np.float32)
            except OSError as error:
                raise OfficialFormatError(f"weights file {path}: cannot read dataset {name!r} (truncated "
                                          f"file?): {error}") from error
            except (TypeError, ValueError) as error:
                raise OfficialFormatError(f"weights file {path}: dataset {name!r} holds {handle[name].dtype}, "
                                          f"not numbers: {error}") from error
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
