"""The catalogue of publicly downloadable assets: where each lives, how to check it, what it unpacks to.

Every asset is installed as one directory ``<data_dir>/<asset name>/``.  Plain files
are placed there under their own name; archives are unpacked into it.  ``layout``
lists the paths (relative to that directory) that must exist once the asset is
installed, so a truncated or re-organised archive is caught before it is used.

Sizes and SHA-256 digests are pinned only where they were published by
independent sources that agree (see ``note``); the rest are ``None`` and the
downloader records the digest it computes in the asset's manifest instead.  Never
fill in a digest by guessing: a wrong one makes a correct download fail.  A file
with neither a size nor a digest is still only installed from a transfer known to
be complete (see :mod:`.download`); a user who has the digest from elsewhere gives
it with ``elmo-eval fetch NAME --sha256 FILE=HEX`` (:func:`with_digests`), and a
mirror's catalogue file can pin digests for every file.

A different catalogue (a mirror, or a test server) can be given as a JSON file via
the environment variable ``ELMO_EVAL_CATALOGUE``; its format is what
:func:`catalogue_to_json` writes.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from elmo_eval.errors import UsageError

CATALOGUE_ENV = "ELMO_EVAL_CATALOGUE"


@dataclass(frozen=True)
class RemoteFile:
    """One file to download.

    ``unpack``: the file is an archive (zip, tar, tar.gz) whose contents go into the
    asset directory; the archive itself is deleted afterwards.
    """

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None
    unpack: bool = False


@dataclass(frozen=True)
class Asset:
    """A downloadable asset: one or more files that are installed together or not at all."""

    name: str
    description: str
    files: tuple[RemoteFile, ...]
    licence: str
    tasks: tuple[str, ...]
    layout: tuple[str, ...]
    note: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)


_ELMO_BASE = "https://allennlp.s3.amazonaws.com/models/elmo"
_ELMO_LICENCE = ("released by AllenNLP (Allen Institute for AI) alongside Apache-2.0 code; no separate "
                 "licence is stated on the download page")


def _elmo_model(name: str, model_id: str, description: str, tasks: tuple[str, ...]) -> Asset:
    options = f"elmo_{model_id}_options.json"
    weights = f"elmo_{model_id}_weights.hdf5"
    return Asset(
        name=name,
        description=description,
        files=(RemoteFile(f"{_ELMO_BASE}/{model_id}/{options}", options),
               RemoteFile(f"{_ELMO_BASE}/{model_id}/{weights}", weights)),
        licence=_ELMO_LICENCE,
        tasks=tasks,
        layout=(options, weights),
        note="no published size or SHA-256; the digest computed on download is recorded in the manifest",
        aliases=(model_id,),
    )


_ALL_TASKS = ("squad", "snli", "srl", "coref", "ner", "sst5")

_ASSETS: tuple[Asset, ...] = (
    _elmo_model("elmo-original", "2x4096_512_2048cnn_2xhighway",
                "ELMo original biLM (93.6M parameters, 1B Word Benchmark); the paper's model", _ALL_TASKS),
    _elmo_model("elmo-small", "2x1024_128_2048cnn_1xhighway",
                "ELMo small biLM (13.6M parameters)", ("srl",)),
    _elmo_model("elmo-medium", "2x2048_256_2048cnn_1xhighway",
                "ELMo medium biLM (28.0M parameters)", ("srl",)),
    _elmo_model("elmo-original-5.5b", "2x4096_512_2048cnn_2xhighway_5.5B",
                "ELMo original architecture trained on 5.5B tokens (Wikipedia + WMT news crawl)", ("srl",)),
    Asset(
        name="squad-1.1",
        description="SQuAD v1.1 train (87,599 questions) and dev (10,570 questions)",
        files=(
            RemoteFile("https://rajpurkar.github.io/SQuAD-explorer/dataset/train-v1.1.json", "train-v1.1.json",
                       size=30_288_272,
                       sha256="3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955"),
            RemoteFile("https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json", "dev-v1.1.json",
                       size=4_854_279,
                       sha256="95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9"),
        ),
        licence="CC BY-SA 4.0",
        tasks=("squad",),
        layout=("train-v1.1.json", "dev-v1.1.json"),
        note="size and SHA-256 as published by several independent download scripts (e.g. ParlAI, HF datasets)",
        aliases=("squad",),
    ),
    Asset(
        name="snli-1.0",
        description="SNLI 1.0 (550,152 / 9,842 / 9,824 pairs), JSONL and TXT",
        files=(RemoteFile("https://nlp.stanford.edu/projects/snli/snli_1.0.zip", "snli_1.0.zip",
                          sha256="afb3d70a5af5d8de0d9d81e2637e0fb8c22d1235c2749d83125ca43dab0dbd3e",
                          unpack=True),),
        licence="CC BY-SA 4.0",
        tasks=("snli",),
        layout=("snli_1.0/snli_1.0_train.jsonl", "snli_1.0/snli_1.0_dev.jsonl", "snli_1.0/snli_1.0_test.jsonl"),
        note="SHA-256 as published by several independent download scripts (e.g. ParlAI); size not published",
        aliases=("snli",),
    ),
    Asset(
        name="sst",
        description="Stanford Sentiment Treebank, PTB-format trees (8,544 / 1,101 / 2,210 sentences)",
        files=(RemoteFile("https://nlp.stanford.edu/sentiment/trainDevTestTrees_PTB.zip",
                          "trainDevTestTrees_PTB.zip", unpack=True),),
        licence="none stated on the SST site",
        tasks=("sst5",),
        layout=("trees/train.txt", "trees/dev.txt", "trees/test.txt"),
        note="no published size or SHA-256; the digest computed on download is recorded in the manifest",
        aliases=("sst-ptb", "sst5"),
    ),
    Asset(
        name="ag-news",
        description="AG News topic classification, CSV (120,000 train / 7,600 test)",
        files=(
            RemoteFile("https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/"
                       "train.csv", "train.csv"),
            RemoteFile("https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/"
                       "test.csv", "test.csv"),
        ),
        licence="AG's corpus: non-commercial research use; the CSV mirror states no licence",
        tasks=("ag_news",),
        layout=("train.csv", "test.csv"),
        note=("no published size or SHA-256; the digest computed on download is recorded in the manifest. "
              "The original ag_news_csv.tar.gz (Zhang et al. 2015) is on Google Drive and not fetched "
              "automatically"),
        aliases=("ag_news",),
    ),
    Asset(
        name="glove-840b-300d",
        description="GloVe Common Crawl 840B tokens, 2.2M cased vocabulary, 300d (about 2.0 GB zipped)",
        files=(RemoteFile("https://nlp.stanford.edu/data/glove.840B.300d.zip", "glove.840B.300d.zip",
                          unpack=True),),
        licence="Public Domain Dedication and License v1.0 (PDDL)",
        tasks=("sst5", "snli"),
        layout=("glove.840B.300d.txt",),
        note="no published SHA-256; the digest computed on download is recorded in the manifest",
        aliases=("glove-840b",),
    ),
    Asset(
        name="glove-6b",
        description="GloVe Wikipedia 2014 + Gigaword 5, 6B tokens, 50/100/200/300d (about 820 MB zipped)",
        files=(RemoteFile("https://nlp.stanford.edu/data/glove.6B.zip", "glove.6B.zip", unpack=True),),
        licence="Public Domain Dedication and License v1.0 (PDDL)",
        tasks=("squad", "coref", "ner", "srl"),
        layout=("glove.6B.50d.txt", "glove.6B.100d.txt", "glove.6B.200d.txt", "glove.6B.300d.txt"),
        note="no published SHA-256; the digest computed on download is recorded in the manifest",
        aliases=("glove.6B",),
    ),
)

DEFAULT_CATALOGUE: dict[str, Asset] = {asset.name: asset for asset in _ASSETS}


class UnknownAssetError(UsageError, KeyError):
    """Raised for an asset name that is neither in the catalogue nor an alias of an entry."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0])


class CatalogueError(UsageError, ValueError):
    """A catalogue file (``$ELMO_EVAL_CATALOGUE``) or a digest given on the command line that is malformed."""


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _check_remote(remote: RemoteFile, where: str) -> RemoteFile:
    if remote.sha256 is not None and not (isinstance(remote.sha256, str) and _SHA256.fullmatch(remote.sha256)):
        raise CatalogueError(f"{where}: sha256 must be 64 hexadecimal digits, found {remote.sha256!r}")
    if remote.size is not None and not (isinstance(remote.size, int) and remote.size >= 0):
        raise CatalogueError(f"{where}: size must be a whole number of bytes, found {remote.size!r}")
    return remote


def with_digests(asset: Asset, digests: dict[str, str]) -> Asset:
    """``asset`` with the SHA-256 digests ``{filename: hex}`` a user gave for its files.

    Every filename must be one of the asset's; a digest that contradicts one the catalogue pins is
    refused (one of the two is wrong, and the pinned one came from published sources).
    """
    names = {remote.filename for remote in asset.files}
    for filename in digests:
        if filename not in names:
            raise CatalogueError(f"--sha256 {filename}=...: asset {asset.name!r} has no file {filename!r} "
                                 f"(its files: {', '.join(sorted(names))})")
    files = []
    for remote in asset.files:
        given = digests.get(remote.filename)
        if given is not None:
            given = given.lower()
            _check_remote(replace(remote, sha256=given), f"--sha256 {remote.filename}")
            if remote.sha256 is not None and remote.sha256.lower() != given:
                raise CatalogueError(f"--sha256 {remote.filename}={given} contradicts the SHA-256 the catalogue "
                                     f"pins for it ({remote.sha256.lower()})")
            remote = replace(remote, sha256=given)
        files.append(remote)
    return replace(asset, files=tuple(files))


def catalogue_to_json(catalogue: dict[str, Asset]) -> str:
    """Serialise a catalogue (the format ``ELMO_EVAL_CATALOGUE`` files use)."""
    return json.dumps({"assets": [asdict(asset) for asset in catalogue.values()]}, indent=2)


def catalogue_from_json(path: str | Path) -> dict[str, Asset]:
    """Read a catalogue written by :func:`catalogue_to_json` (or by hand, same keys)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        assets = []
        for entry in document["assets"]:
            files = tuple(_check_remote(RemoteFile(**remote), f"{path}: asset {entry.get('name')!r}, file "
                                                              f"{remote.get('filename')!r}")
                          for remote in entry.pop("files"))
            assets.append(Asset(files=files,
                                tasks=tuple(entry.pop("tasks", ())),
                                layout=tuple(entry.pop("layout")),
                                aliases=tuple(entry.pop("aliases", ())),
                                **entry))
    except CatalogueError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CatalogueError(f"{path}: not a valid asset catalogue ({error}); expected "
                             "{\"assets\": [{\"name\", \"description\", \"files\": [{\"url\", \"filename\", "
                             "...}], \"licence\", \"layout\", ...}]}") from error
    return {asset.name: asset for asset in assets}


def default_catalogue() -> dict[str, Asset]:
    """The built-in catalogue, or the one named by ``$ELMO_EVAL_CATALOGUE`` (mirrors, tests)."""
    override = os.environ.get(CATALOGUE_ENV)
    return catalogue_from_json(override) if override else dict(DEFAULT_CATALOGUE)


def get_asset(name: str, catalogue: dict[str, Asset] | None = None) -> Asset:
    """Look an asset up by name or alias (case-insensitive)."""
    catalogue = default_catalogue() if catalogue is None else catalogue
    wanted = name.lower()
    for asset in catalogue.values():
        if wanted == asset.name.lower() or wanted in (alias.lower() for alias in asset.aliases):
            return asset
    raise UnknownAssetError(f"unknown asset {name!r}; known assets: {', '.join(sorted(catalogue))}")
