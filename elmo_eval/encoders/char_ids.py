"""Token -> character ids, exactly as the original ELMo biLM expects them.

Raw ids 0-255 are UTF-8 bytes; 256..260 are the begin/end-of-sentence,
begin/end-of-word and padding characters. Every id is then shifted by +1 so
that 0 means "no token" (a padding row of a batch is 50 zeros); hence 262
distinct ids.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import torch

MAX_CHARS_PER_TOKEN = 50
# Two slots are taken by the begin/end-of-word markers.
MAX_BYTES_PER_TOKEN = MAX_CHARS_PER_TOKEN - 2
N_CHARACTERS = 262

# Raw (unshifted) special characters.
BOS_CHAR = 256
EOS_CHAR = 257
BOW_CHAR = 258
EOW_CHAR = 259
PAD_CHAR = 260

BOS_TOKEN = "<S>"
EOS_TOKEN = "</S>"


def _marker_ids(raw_char: int) -> list[int]:
    """Shifted ids of a sentence marker: ``[BOW, raw_char, EOW, PAD, ...] + 1``."""
    raw = [BOW_CHAR, raw_char, EOW_CHAR] + [PAD_CHAR] * (MAX_CHARS_PER_TOKEN - 3)
    return [c + 1 for c in raw]


BOS_IDS: list[int] = _marker_ids(BOS_CHAR)
EOS_IDS: list[int] = _marker_ids(EOS_CHAR)


@lru_cache(maxsize=200_000)
def _token_ids_tuple(token: str) -> tuple[int, ...]:
    if token == BOS_TOKEN:
        return tuple(BOS_IDS)
    if token == EOS_TOKEN:
        return tuple(EOS_IDS)
    # "ignore" drops unencodable code points (lone surrogates) instead of failing.
    data = token.encode("utf-8", "ignore")[:MAX_BYTES_PER_TOKEN]
    raw = [BOW_CHAR, *data, EOW_CHAR]
    raw += [PAD_CHAR] * (MAX_CHARS_PER_TOKEN - len(raw))
    return tuple(c + 1 for c in raw)


def token_to_char_ids(token: str) -> list[int]:
    """The 50 shifted character ids (values 1..261) of one token."""
    return list(_token_ids_tuple(token))


def batch_to_char_ids(sentences: Sequence[Sequence[str]], max_len: int | None = None) -> torch.LongTensor:
    """Right-padded char ids of a batch of tokenised sentences.

    Returns ``[batch, time, 50]`` int64 where ``time = max_len`` or the longest
    sentence; positions beyond a sentence's end are all-zero rows. Sentences
    longer than ``max_len`` raise ``ValueError`` (silent truncation would drop
    tokens the caller expects outputs for).
    """
    longest = max((len(s) for s in sentences), default=0)
    if max_len is None:
        max_len = longest
    elif longest > max_len:
        raise ValueError(f"a sentence has {longest} tokens, more than max_len={max_len}")
    ids = torch.zeros(len(sentences), max_len, MAX_CHARS_PER_TOKEN, dtype=torch.long)
    # Strings need Python to look up, but the tensor is filled in one scatter: rows in order,
    # tokens in order match the row-major order of the mask's True positions.
    flat = [_token_ids_tuple(token) for sentence in sentences for token in sentence]
    if flat:
        lengths = torch.tensor([len(sentence) for sentence in sentences])
        mask = torch.arange(max_len).unsqueeze(0) < lengths.unsqueeze(1)
        ids[mask] = torch.tensor(flat, dtype=torch.long)
    return ids
