"""Any Hugging Face ``transformers`` model with hidden states, as a layer-stack encoder.

Every hidden state the model returns (the embedding output, then each layer's) becomes one layer
of the stack, so the scalar mix, top-only, layer 0 and the layer-weight figure work unchanged:
``embed(words) -> (layers [B, hidden_states, T, hidden_size], mask [B, T])``, exactly one vector
per input word.

Words and pieces. The input is pre-tokenised words; the model's tokenizer splits each word into
sub-word pieces (``is_split_into_words``), and a word's vector is its first piece's
(``pieces="first"``, the usual choice for taggers) or the mean of its pieces (``pieces="mean"``).
A word the tokenizer maps to no piece at all (an empty string, a zero-width or other character the
tokenizer's normaliser drops) is given the tokenizer's unknown piece, so it still gets a vector.

Long inputs. A word sequence longer than the model's window (``window`` pieces in all, including
the special tokens the tokenizer adds around a sequence; default: the model's own limit) is
encoded in overlapping windows of ``C = window - specials`` content pieces. Window ``k`` starts at
piece ``k * stride`` (default stride ``C // 2``, so consecutive windows share half their pieces);
the last window is moved back to end at the last piece, so every window is full. Each word takes
its vectors from the window where it has the most context: the window that contains all of its
pieces and maximises the smaller of (pieces to its left, pieces to its right) inside the window,
where a window edge that is also the sequence's edge hides nothing and so counts as unlimited;
ties go to the earlier window. (A word with more pieces than two windows share cannot lie in one
window; each of its pieces then takes its own best window.) A sequence that fits is one window.

Identity. :meth:`HFEncoder.fingerprint` hashes the weights, the model's configuration, the
tokenizer (its full serialised definition and special tokens) and the adapter's options
(``pieces``, ``window``, ``stride``): any change that could change a vector changes it.

``transformers`` is an optional dependency (``pip install elmo-eval[hf]``); it is imported when a
model is loaded, never when this module is.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

PIECE_POOLING = ("first", "mean")
# config keys that name, version or switch outputs rather than change a vector
_VOLATILE_CONFIG_KEYS = {"_name_or_path", "transformers_version", "torch_dtype", "dtype", "output_hidden_states",
                         "output_attentions", "return_dict", "use_cache", "_attn_implementation_autoset",
                         "_commit_hash", "architectures"}
_UNLIMITED = np.iinfo(np.int64).max // 4


def import_transformers():
    """The ``transformers`` module, or an ImportError whose message is the one-line fix."""
    try:
        import transformers
    except ImportError as error:
        raise ImportError("the hf: encoder needs the transformers package: pip install 'elmo-eval[hf]' "
                          "(or pip install transformers)") from error
    return transformers


class HFEncoder(nn.Module):
    """A frozen ``transformers`` model as a layer-stack encoder (see the module docstring).

    Attributes: ``num_layers`` (hidden states per position: embeddings + layers), ``output_dim``
    (hidden size), ``pieces``, ``window`` (model inputs per window, specials included),
    ``stride`` (content pieces between window starts), ``windows_per_forward``.
    """

    def __init__(self, model: nn.Module, tokenizer, *, pieces: str = "first", window: int | None = None,
                 stride: int | None = None, windows_per_forward: int = 32):
        super().__init__()
        if pieces not in PIECE_POOLING:
            raise ValueError(f"pieces must be one of {PIECE_POOLING}, got {pieces!r}")
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("the hf: encoder needs a fast (Rust) tokenizer to map pieces to words; "
                             f"{type(tokenizer).__name__} is not one")
        if windows_per_forward < 1:
            raise ValueError(f"windows_per_forward must be >= 1, got {windows_per_forward}")
        config = model.config
        # an encoder-decoder model (T5, BART): its encoder gives the contextual vectors
        self.model = model.get_encoder() if getattr(config, "is_encoder_decoder", False) else model
        self.config = config
        self.tokenizer = tokenizer
        self.pieces = pieces
        self.windows_per_forward = windows_per_forward
        self.prefix_ids, self.suffix_ids = _special_template(tokenizer)
        specials = len(self.prefix_ids) + len(self.suffix_ids)
        limit = model_window(model, tokenizer)
        self.window = limit if window is None else int(window)
        if not specials < self.window <= limit:
            raise ValueError(f"window must be in ({specials}, {limit}] pieces for this model (it adds {specials} "
                             f"special tokens and accepts at most {limit}), got {self.window}")
        self.content = self.window - specials
        self.stride = max(1, self.content // 2) if stride is None else int(stride)
        if not 1 <= self.stride <= self.content:
            raise ValueError(f"stride must be in [1, {self.content}] (the content pieces of a {self.window}-piece "
                             f"window), got {self.stride}")
        self.unk_id = _first_id(tokenizer, ("unk_token_id", "eos_token_id", "pad_token_id"))
        self.pad_id = _first_id(tokenizer, ("pad_token_id", "eos_token_id", "unk_token_id"))
        self.eval()
        with torch.no_grad():  # probe the stack's shape with one piece
            probe = self._hidden_states(torch.tensor([[*self.prefix_ids, self.unk_id, *self.suffix_ids]]),
                                        torch.ones(1, specials + 1, dtype=torch.long))
        self.num_layers, self.output_dim = int(probe.shape[1]), int(probe.shape[-1])

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, pieces: str = "first", window: int | None = None,
                        stride: int | None = None, windows_per_forward: int = 32,
                        device: str | torch.device = "cpu", local_files_only: bool | None = None) -> HFEncoder:
        """Load model and tokenizer with ``transformers`` (a local folder is read with no network).

        Never runs code shipped with a model (``trust_remote_code`` stays off).
        """
        transformers = import_transformers()
        local = Path(name_or_path).is_dir()
        offline = local if local_files_only is None else local_files_only
        hf_logging = transformers.utils.logging
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path), local_files_only=offline)
            model = transformers.AutoModel.from_pretrained(str(name_or_path), local_files_only=offline)
        except OSError as error:
            raise FileNotFoundError(f"cannot load a transformers model from {name_or_path}: "
                                    f"{str(error).splitlines()[0]}") from error
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        try:  # byte-level BPE tokenizers (GPT-2, RoBERTa) accept pre-split words only with a prefix space
            tokenizer([["a", "b"]], is_split_into_words=True, add_special_tokens=False)
        except ValueError as error:
            if "add_prefix_space" not in str(error):
                raise
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path), local_files_only=offline,
                                                                   add_prefix_space=True)
        encoder = cls(model, tokenizer, pieces=pieces, window=window, stride=stride,
                      windows_per_forward=windows_per_forward)
        return encoder.to(device)

    # ------------------------------------------------------------------ computation
    def _hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """``[N, S]`` ids and mask -> ``[N, hidden_states, S, D]`` float32."""
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True,
                         return_dict=True)
        return torch.stack(out.hidden_states, dim=1).float()

    def word_pieces(self, sentences: Sequence[Sequence[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence ``(piece ids [P], word of each piece [P])``, words in order, each with >= 1 piece."""
        out = []
        nonempty = [i for i, words in enumerate(sentences) if len(words)]
        encoded = self.tokenizer([list(sentences[i]) for i in nonempty], is_split_into_words=True,
                                 add_special_tokens=False, verbose=False) if nonempty else None
        by_row = {i: row for row, i in enumerate(nonempty)}
        for i, words in enumerate(sentences):
            if i not in by_row:
                out.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
                continue
            row = by_row[i]
            ids = np.asarray(encoded["input_ids"][row], dtype=np.int64)
            word_of = np.asarray([-1 if w is None else w for w in encoded.word_ids(row)], dtype=np.int64)
            ids, word_of = ids[word_of >= 0], word_of[word_of >= 0]
            missing = np.flatnonzero(np.bincount(word_of, minlength=len(words)) == 0)
            if missing.size:  # words with no piece get the unknown piece, in their place
                at = np.searchsorted(word_of, missing)
                ids, word_of = np.insert(ids, at, self.unk_id), np.insert(word_of, at, missing)
            out.append((ids, word_of))
        return out

    def window_starts(self, n_pieces: int) -> np.ndarray:
        """First content piece of each window over a sequence of ``n_pieces`` (see the module docstring)."""
        if n_pieces <= self.content:
            return np.zeros(1, dtype=np.int64)
        starts = np.arange(0, n_pieces - self.content, self.stride, dtype=np.int64)
        return np.append(starts, n_pieces - self.content)

    def assign_windows(self, word_of: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Which window each piece ``[P]`` takes its vector from (index into ``starts``)."""
        n = len(word_of)
        ends = np.minimum(starts + self.content, n)  # exclusive
        position = np.arange(n)[:, None]
        left = np.where(starts == 0, _UNLIMITED, position - starts)  # [P, K]
        right = np.where(ends == n, _UNLIMITED, ends - 1 - position)
        inside = (position >= starts) & (position < ends)
        score = np.where(inside, np.minimum(left, right), -1)
        first_piece = np.flatnonzero(np.diff(word_of, prepend=-1))  # pieces of a word are contiguous
        word_score = np.minimum.reduceat(score, first_piece, axis=0)  # [W, K]: -1 unless all pieces inside
        word_window = word_score.argmax(axis=1)
        whole = word_score.max(axis=1) >= 0
        return np.where(whole[word_of], word_window[word_of], score.argmax(axis=1))

    def embed(self, sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokenised sentences -> ``(layers [B, num_layers, T, output_dim] float32, mask [B, T] bool)``,
        on the model's device; zeros at padding."""
        device = next(self.model.parameters()).device
        lengths = [len(words) for words in sentences]
        batch, longest = len(sentences), max(lengths, default=0)
        mask = torch.arange(longest)[None, :] < torch.tensor(lengths, dtype=torch.long)[:, None]
        if batch == 0 or longest == 0:
            return torch.zeros(batch, self.num_layers, longest, self.output_dim, device=device), mask.to(device)

        windows: list[np.ndarray] = []  # content ids of every window, sentence by sentence
        piece_row, piece_col, piece_slot = [], [], []  # per piece: its window, column in it, word slot b*T+w
        for b, (ids, word_of) in enumerate(self.word_pieces(sentences)):
            if not len(ids):
                continue
            starts = self.window_starts(len(ids))
            chosen = self.assign_windows(word_of, starts)
            piece_row.append(len(windows) + chosen)
            piece_col.append(len(self.prefix_ids) + np.arange(len(ids)) - starts[chosen])
            piece_slot.append(b * longest + word_of)
            windows.extend(ids[s: s + self.content] for s in starts)
        rows = torch.from_numpy(np.concatenate(piece_row)).to(device)
        cols = torch.from_numpy(np.concatenate(piece_col)).to(device)
        slots = torch.from_numpy(np.concatenate(piece_slot)).to(device)

        piece_vectors = torch.zeros(len(rows), self.num_layers, self.output_dim, device=device)
        for first in range(0, len(windows), self.windows_per_forward):
            chunk = windows[first: first + self.windows_per_forward]
            input_ids, attention = self._pack(chunk, device)
            with torch.no_grad():
                states = self._hidden_states(input_ids, attention)  # [n, L, S, D]
            here = (rows >= first) & (rows < first + len(chunk))
            piece_vectors[here] = states[rows[here] - first, :, cols[here]]

        words = torch.zeros(batch * longest, self.num_layers, self.output_dim, device=device)
        if self.pieces == "mean":
            counts = torch.zeros(batch * longest, device=device).index_add_(0, slots, torch.ones_like(slots,
                                                                                                     dtype=torch.float))
            words.index_add_(0, slots, piece_vectors)
            words /= counts.clamp(min=1)[:, None, None]
        else:
            is_first = torch.ones_like(slots, dtype=torch.bool)
            is_first[1:] = slots[1:] != slots[:-1]
            words[slots[is_first]] = piece_vectors[is_first]
        layers = words.view(batch, longest, self.num_layers, self.output_dim).transpose(1, 2).contiguous()
        return layers, mask.to(device)

    def _pack(self, windows: list[np.ndarray], device) -> tuple[torch.Tensor, torch.Tensor]:
        """Content ids of some windows -> right-padded ``(input_ids [n, S], attention_mask [n, S])``."""
        specials = len(self.prefix_ids) + len(self.suffix_ids)
        width = max(len(w) for w in windows) + specials
        input_ids = torch.full((len(windows), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros(len(windows), width, dtype=torch.long)
        for i, content in enumerate(windows):
            row = np.concatenate([self.prefix_ids, content, self.suffix_ids])
            input_ids[i, : len(row)] = torch.from_numpy(row)
            attention[i, : len(row)] = 1
        return input_ids.to(device), attention.to(device)

    # ------------------------------------------------------------------ identity
    def fingerprint(self) -> str:
        """SHA-256 hex over the adapter options, model class and configuration, tokenizer definition and
        every weight (name, shape, float32 bytes)."""
        digest = hashlib.sha256()
        config = {k: v for k, v in self.config.to_dict().items() if k not in _VOLATILE_CONFIG_KEYS}
        header = {"adapter": "hf", "pieces": self.pieces, "window": self.window, "stride": self.stride,
                  "model_class": type(self.model).__name__, "config": config}
        digest.update(json.dumps(header, sort_keys=True, default=str).encode("utf-8"))
        digest.update(self.tokenizer.backend_tokenizer.to_str().encode("utf-8"))
        digest.update(json.dumps({"special": [self.prefix_ids.tolist(), self.suffix_ids.tolist()], "unk": self.unk_id},
                                 sort_keys=True).encode("utf-8"))
        for name, tensor in sorted(self.model.state_dict().items()):
            data = tensor.detach().to("cpu", torch.float32).contiguous()
            digest.update(f"{name}:{tuple(data.shape)}".encode())
            digest.update(data.numpy().tobytes())
        return digest.hexdigest()

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def model_window(model: nn.Module, tokenizer) -> int:
    """The most pieces (specials included) the model takes at once: the smaller of the tokenizer's
    ``model_max_length`` and the config's ``max_position_embeddings`` where each is set (512 if neither)."""
    limits = [int(tokenizer.model_max_length)] if 0 < getattr(tokenizer, "model_max_length", 0) < 1_000_000 else []
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions:
        limits.append(int(positions))
    return min(limits, default=512)


def _special_template(tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """The ids the tokenizer puts before and after a single sequence (e.g. ``[CLS]`` / ``[SEP]``)."""
    encoded = tokenizer([["a"]], is_split_into_words=True, add_special_tokens=True)
    ids, words = encoded["input_ids"][0], encoded.word_ids(0)
    content = [i for i, w in enumerate(words) if w is not None]
    if not content:
        raise ValueError(f"{type(tokenizer).__name__} maps the word 'a' to no piece; cannot find its special tokens")
    return np.asarray(ids[: content[0]], dtype=np.int64), np.asarray(ids[content[-1] + 1:], dtype=np.int64)


def _first_id(tokenizer, attributes: Sequence[str]) -> int:
    for attribute in attributes:
        value = getattr(tokenizer, attribute, None)
        if value is not None:
            return int(value)
    return 0
