"""Every key an ELMo ``options.json`` may hold, with its type and range, checked before a model is built.

An error names the options file and the key, what was expected and what was found
(:class:`~.format_errors.OptionsError`: ``"{file}:{key}: expected ..., found ..."``).

The model (the released models' files hold exactly these):

==================================  ====================================================================
``lstm.dim``                        integer >= 1 (LSTM cell size)
``lstm.projection_dim``             integer >= 1 (the output of each LSTM layer and of the char CNN)
``lstm.n_layers``                   integer >= 1
``lstm.use_skip_connections``       ``true`` (the biLM has residual connections)
``lstm.cell_clip``, ``proj_clip``   number > 0, or ``null`` / absent for no clipping
``char_cnn.embedding.dim``          integer >= 1
``char_cnn.filters``                non-empty list of ``[width, count]``, 1 <= width <= 50, count >= 1
``char_cnn.n_highway``              integer >= 0
``char_cnn.n_characters``           262 (optional; 261 characters plus padding)
``char_cnn.max_characters_per_token``  50 (optional)
``char_cnn.activation``             ``"relu"`` or ``"tanh"`` (optional, default relu)
==================================  ====================================================================

Files written by bilm-tf's training also hold training settings, which do not change the biLM's
output; each is checked for its type (``bidirectional`` must be true). Any other key is refused
rather than ignored: an option this package does not implement would otherwise build another
model than the file describes, silently.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .format_errors import OptionsError

MAX_CHARACTERS_PER_TOKEN = 50


@dataclass(frozen=True)
class Field:
    """One key: ``accepts(value)`` says whether a value is allowed, ``expected`` says which in words."""

    expected: str
    accepts: Callable[[Any], bool]
    required: bool = True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


def integer(minimum: int, required: bool = True) -> Field:
    return Field(f"an integer >= {minimum}", lambda v: _is_int(v) and v >= minimum, required)


def positive_number_or_null(required: bool = False) -> Field:
    return Field("a number > 0, or null", lambda v: v is None or (_is_number(v) and v > 0), required)


def exactly(value: Any, why: str, required: bool = True) -> Field:
    return Field(f"{json.dumps(value)} ({why})", lambda v: v == value and type(v) is type(value), required)


def boolean() -> Field:
    return Field("true or false", lambda v: isinstance(v, bool), required=False)


def _filter_ok(item: Any) -> bool:
    return (isinstance(item, list) and len(item) == 2 and all(_is_int(x) for x in item)
            and 1 <= item[0] <= MAX_CHARACTERS_PER_TOKEN and item[1] >= 1)


_FILTER = f"[width, count] with 1 <= width <= {MAX_CHARACTERS_PER_TOKEN} and count >= 1"
FILTERS = Field(f"a non-empty list of {_FILTER}",
                lambda v: isinstance(v, list) and len(v) > 0 and all(_filter_ok(item) for item in v))

SCHEMA: dict[str, Any] = {
    "lstm": {
        "dim": integer(1),
        "projection_dim": integer(1),
        "n_layers": integer(1),
        "use_skip_connections": exactly(True, "the biLM has residual connections between its LSTM layers"),
        "cell_clip": positive_number_or_null(),
        "proj_clip": positive_number_or_null(),
    },
    "char_cnn": {
        "embedding": {"dim": integer(1)},
        "filters": FILTERS,
        "n_highway": integer(0),
        "n_characters": exactly(262, "261 characters plus padding; bilm-tf's training options say 261, the "
                                     "released models and inference use 262", required=False),
        "max_characters_per_token": exactly(MAX_CHARACTERS_PER_TOKEN, "the character ids have 50 positions",
                                            required=False),
        "activation": Field('"relu" or "tanh"', lambda v: v in ("relu", "tanh") and isinstance(v, str),
                            required=False),
    },
    # bilm-tf's training settings: they do not change the biLM's output
    "bidirectional": exactly(True, "the biLM has a forward and a backward LSTM", required=False),
    "dropout": Field("a number in [0, 1)", lambda v: _is_number(v) and 0 <= v < 1, required=False),
    "all_clip_norm_val": positive_number_or_null(),
    "n_epochs": integer(1, required=False),
    "n_train_tokens": integer(1, required=False),
    "batch_size": integer(1, required=False),
    "unroll_steps": integer(1, required=False),
    "n_negative_samples_batch": integer(1, required=False),
    "n_tokens_vocab": integer(0, required=False),
    "share_embedding_softmax": boolean(),
    "sample_softmax": boolean(),
}


def describe_value(value: Any) -> str:
    """A found value as the message shows it: its JSON text (cut short) and its JSON type."""
    text = json.dumps(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    if value is None:
        return "null"
    kind = ("true/false" if isinstance(value, bool) else "an integer" if isinstance(value, int)
            else "a number" if isinstance(value, float) else "a string" if isinstance(value, str)
            else "a list" if isinstance(value, list) else "an object")
    return f"{text} ({kind})"


def _required(rule: Field | dict) -> bool:
    return rule.required if isinstance(rule, Field) else True


def _check_section(node: Any, schema: dict[str, Any], prefix: str, source: str) -> None:
    if not isinstance(node, dict):
        raise OptionsError(source, prefix or "(top level)", f"expected an object, found {describe_value(node)}")
    for key, rule in schema.items():
        where = f"{prefix}.{key}" if prefix else key
        if key not in node:
            if _required(rule):
                expected = rule.expected if isinstance(rule, Field) else "an object"
                raise OptionsError(source, where, f"missing required key (expected {expected})")
            continue
        value = node[key]
        if isinstance(rule, dict):
            _check_section(value, rule, where, source)
        elif not rule.accepts(value):
            if rule is FILTERS and isinstance(value, list) and value:
                at = next(i for i, item in enumerate(value) if not _filter_ok(item))
                raise OptionsError(source, f"{where}[{at}]", f"expected {_FILTER}, found {describe_value(value[at])}")
            raise OptionsError(source, where, f"expected {rule.expected}, found {describe_value(value)}")
    unknown = [key for key in node if key not in schema]
    if unknown:
        where = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise OptionsError(source, where, f"unknown key (known here: {', '.join(schema)}); an option this "
                                          "package does not implement is refused rather than ignored")


def validate_options(options: Any, source: str = "options") -> None:
    """Raise :class:`OptionsError` naming ``source`` (the options file) and the first key whose type
    or value is wrong, that is missing, or that is unknown; return quietly when ``options`` describes
    an ELMo biLM this package builds."""
    _check_section(options, SCHEMA, "", source)
