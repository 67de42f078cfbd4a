"""Encoders named on the command line: ``KIND:WHAT[,key=value...]`` -> a loaded encoder.

- ``elmo:OPTIONS.json,WEIGHTS.hdf5``: official AllenNLP ELMo files;
- ``bilm:DIR``: a folder written by ``elmo-eval pretrain`` (options.json + weights.hdf5);
- ``hf:NAME_OR_PATH[,pieces=first|mean][,window=N][,stride=N][,batch=N]``: a ``transformers`` model
  (:mod:`elmo_eval.encoders.hf`; ``window`` pieces per model input, ``batch`` windows per forward);
- ``python:MODULE:FACTORY[,key=value...]``: ``FACTORY(key="value", ...)`` from an importable module
  or a ``.py`` file.

Every kind also takes ``name=NAME``: the encoder's row (and results folder) in the leaderboard.
Paths may not contain ``,``. Whatever ``python:`` returns must meet the encoder contract
(``docs/encoders.md``): ``embed``, ``fingerprint``, ``num_layers``, ``output_dim``.

Descriptions carry no absolute paths (result files are shared): a model is named by its file or
folder name, or by its hub id.
"""
from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import NamedTuple

from elmo_eval.errors import UsageError

KINDS = ("elmo", "bilm", "hf", "python")
_OPTIONS = {"elmo": {"name"}, "bilm": {"name"}, "hf": {"name", "pieces", "window", "stride", "batch"}, "python": None}
_POSITIONAL = {"elmo": 2, "bilm": 1, "hf": 1, "python": 1}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_GENERIC_FOLDERS = {"model", "models", "weights", "checkpoint", "checkpoints", "hf", "snapshot", "files"}


class EncoderSpecError(UsageError, ValueError):
    """A malformed or unusable ``--encoder`` value; its message is one line naming the spec."""


class EncoderSpec(NamedTuple):
    """A parsed ``--encoder`` value: ``kind``, its positional ``parts`` and ``options`` (key -> value)."""

    kind: str
    parts: tuple[str, ...]
    options: dict[str, str]
    text: str


class LoadedEncoder(NamedTuple):
    """``name``: its leaderboard row; ``encoder``: meets the contract; ``description``: what result files record."""

    name: str
    encoder: object
    description: dict


def parse_encoder_spec(text: str) -> EncoderSpec:
    """Split ``KIND:WHAT[,key=value...]`` and check its shape (nothing is loaded)."""
    kind, sep, rest = text.partition(":")
    if not sep or kind not in KINDS:
        raise EncoderSpecError(f"--encoder {text!r}: expected KIND:..., KIND one of {', '.join(KINDS)}")
    if kind == "python":  # MODULE:FACTORY: the module part may itself be a path
        head, _, tail = rest.partition(",")
        fields = [head] + (tail.split(",") if tail else [])
    else:
        fields = rest.split(",")
    positional = fields[: _POSITIONAL[kind]]
    if len(positional) != _POSITIONAL[kind] or any(not p or "=" in p for p in positional):
        raise EncoderSpecError(f"--encoder {text!r}: expected {_usage(kind)}")
    options = {}
    for field in fields[len(positional):]:
        key, _, value = field.partition("=")
        if not key or not value:
            raise EncoderSpecError(f"--encoder {text!r}: option {field!r} is not key=value")
        allowed = _OPTIONS[kind]
        if allowed is not None and key not in allowed:
            raise EncoderSpecError(f"--encoder {text!r}: unknown option {key!r} for {kind}: "
                                   f"(known: {', '.join(sorted(allowed))})")
        options[key] = value
    if kind == "python" and positional[0].count(":") < 1:
        raise EncoderSpecError(f"--encoder {text!r}: expected {_usage(kind)}")
    if "name" in options and not _SAFE_NAME.match(options["name"]):
        raise EncoderSpecError(f"--encoder {text!r}: name must be letters, digits, '.', '_', '+' or '-'")
    return EncoderSpec(kind, tuple(positional), options, text)


def load_encoder(text: str, device: str = "cpu") -> LoadedEncoder:
    """Parse and load an encoder spec (see the module docstring). Raises :class:`EncoderSpecError`
    (a ``ValueError``) with a one-line message for anything the user can fix."""
    spec = parse_encoder_spec(text)
    loader = {"elmo": _load_elmo, "bilm": _load_bilm, "hf": _load_hf, "python": _load_python}[spec.kind]
    name, encoder, description = loader(spec, device)
    name = spec.options.get("name", name)
    check_contract(encoder, f"--encoder {text!r}")
    encoder = ready_for_inference(encoder, device)
    parameters = getattr(encoder, "parameters", None)
    description = {"kind": spec.kind, **description,
                   "fingerprint": encoder.fingerprint(),
                   "parameters": sum(p.numel() for p in parameters()) if callable(parameters) else None,
                   "layers": int(encoder.num_layers), "dim": int(encoder.output_dim)}
    return LoadedEncoder(name, encoder, description)


def check_contract(encoder: object, where: str) -> None:
    """Raise :class:`EncoderSpecError` unless ``encoder`` has what the runner calls."""
    missing = [a for a in ("embed", "fingerprint") if not callable(getattr(encoder, a, None))]
    missing += [a for a in ("num_layers", "output_dim") if not isinstance(getattr(encoder, a, None), int)
                or getattr(encoder, a) < 1]
    if missing:
        raise EncoderSpecError(f"{where}: {type(encoder).__name__} does not meet the encoder contract: needs "
                               f"{', '.join(missing)} (see docs/encoders.md)")


def ready_for_inference(encoder: object, device: str = "cpu") -> object:
    """Put an encoder in eval mode (no dropout) on ``device`` where it has those methods (a torch module
    does; a plain object is left as it is). The caller still embeds under ``torch.no_grad``."""
    if callable(getattr(encoder, "to", None)):
        encoder = encoder.to(device) or encoder
    if callable(getattr(encoder, "eval", None)):
        encoder.eval()
    return encoder


def safe_name(text: str) -> str:
    """``text`` reduced to a leaderboard / folder name (letters, digits, ``._+-``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.") or "encoder"
    return cleaned if cleaned[0].isalnum() else "e" + cleaned


# ---------------------------------------------------------------------- the kinds
def _usage(kind: str) -> str:
    return {"elmo": "elmo:OPTIONS.json,WEIGHTS.hdf5[,name=NAME]", "bilm": "bilm:DIR[,name=NAME]",
            "hf": "hf:NAME_OR_PATH[,pieces=first|mean][,window=N][,stride=N][,batch=N][,name=NAME]",
            "python": "python:MODULE:FACTORY[,key=value...]"}[kind]


def _existing(path: str, what: str, spec: EncoderSpec) -> Path:
    found = Path(path).expanduser()
    if not found.exists():
        raise EncoderSpecError(f"--encoder {spec.text!r}: {what} {path} does not exist")
    return found


def _load_elmo(spec: EncoderSpec, device: str):
    options, weights = (_existing(p, w, spec) for p, w in zip(spec.parts, ("options file", "weights file")))
    return _official(options, weights, spec, device, safe_name(weights.stem),
                     {"options_file": options.name, "weights_file": weights.name})


def _load_bilm(spec: EncoderSpec, device: str):
    folder = _existing(spec.parts[0], "biLM folder", spec)
    options, weights = folder / "options.json", folder / "weights.hdf5"
    for path in (options, weights):
        _existing(str(path), "biLM file", spec)
    name = folder.resolve().name
    return _official(options, weights, spec, device, safe_name(name), {"folder": name})


def _official(options: Path, weights: Path, spec: EncoderSpec, device: str, name: str, source: dict):
    from elmo_eval.encoders.bilm import ElmoBiLM
    from elmo_eval.encoders.official_format import OfficialFormatError, WeightsMismatchError

    try:
        model = ElmoBiLM.from_official(options, weights)
    except (OfficialFormatError, WeightsMismatchError, OSError, KeyError, ValueError) as error:
        raise EncoderSpecError(f"--encoder {spec.text!r}: {str(error).splitlines()[0]}") from error
    return name, model.to(device).eval(), source


def _int_option(spec: EncoderSpec, key: str) -> int | None:
    value = spec.options.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise EncoderSpecError(f"--encoder {spec.text!r}: {key} must be an integer, got {value!r}") from None


def _load_hf(spec: EncoderSpec, device: str):
    from elmo_eval.encoders.hf import HFEncoder

    target = spec.parts[0]
    local = Path(target).expanduser()
    batch = _int_option(spec, "batch")
    try:
        encoder = HFEncoder.from_pretrained(local if local.is_dir() else target,
                                            pieces=spec.options.get("pieces", "first"),
                                            window=_int_option(spec, "window"), stride=_int_option(spec, "stride"),
                                            windows_per_forward=32 if batch is None else batch, device=device)
    except (ImportError, FileNotFoundError, ValueError) as error:
        raise EncoderSpecError(f"--encoder {spec.text!r}: {str(error).splitlines()[0]}") from error
    if local.is_dir():  # a folder: its name, or its parent's where the folder name says nothing
        folder = local.resolve()
        label = folder.parent.name if folder.name.lower() in _GENERIC_FOLDERS else folder.name
    else:
        label = target
    description = {"model": label, "pieces": encoder.pieces, "window": encoder.window, "stride": encoder.stride}
    return "hf-" + safe_name(label), encoder, description


def _load_python(spec: EncoderSpec, device: str):
    module_name, _, factory_name = spec.parts[0].rpartition(":")
    if module_name.endswith(".py"):
        path = _existing(module_name, "module file", spec)
        module_spec = importlib.util.spec_from_file_location(f"_elmo_eval_user_{safe_name(path.stem)}", path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module
        module_spec.loader.exec_module(module)
        source = path.name
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            raise EncoderSpecError(f"--encoder {spec.text!r}: cannot import {module_name!r} ({error}); put it on "
                                   "PYTHONPATH or give the path of a .py file") from None
        source = module_name
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise EncoderSpecError(f"--encoder {spec.text!r}: {source} has no callable {factory_name!r}")
    kwargs = {k: v for k, v in spec.options.items() if k != "name"}
    try:
        encoder = factory(**kwargs)
    except TypeError as error:
        raise EncoderSpecError(f"--encoder {spec.text!r}: {factory_name}({', '.join(kwargs)}) failed: {error}") \
            from error
    return safe_name(f"{Path(source).stem}-{factory_name}"), encoder, {"factory": f"{source}:{factory_name}",
                                                                      "arguments": kwargs}
