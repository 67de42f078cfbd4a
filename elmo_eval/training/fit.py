"""Train one head on one representation and evaluate it: the engineering around :class:`TaskModel`.

Model selection is always on dev (early stopping and the best checkpoint);
test is scored once, with the restored best weights.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from pytorch_lightning.loggers import CSVLogger
from torch.utils.data import DataLoader, RandomSampler

from elmo_eval.representations.config import RepresentationConfig
from elmo_eval.specs import Hyperparameters
from elmo_eval.training.fields import Batch, Collator, flatten_text
from elmo_eval.training.model import TaskModel
from elmo_eval.word_vectors import PretrainedVectors, Vocabulary

log = logging.getLogger(__name__)


def build_vocabulary(
    task, train: Sequence, others: Sequence[Sequence], vectors: PretrainedVectors | None
) -> Vocabulary:
    """Training tokens, plus dev/test tokens that the pretrained vectors cover (their rows are fixed)."""

    def tokens(instances):
        for inst in instances:
            for text in task.texts(inst).values():
                yield flatten_text(text)[0]

    extra = []
    if vectors is not None:
        extra = sorted({t for split in others for sent in tokens(split) for t in sent if vectors.row(t) >= 0})
    return Vocabulary.from_sentences(tokens(train), extra=extra)


def _loader(task, instances, vocab, layer_source, batch_size, shuffle, seed, with_targets=True,
            draws: int | None = None) -> DataLoader:
    """Batches of ``(index, instance)``; ``draws``: instances per epoch when more than one pass (the
    instances drawn again in fresh permutations: a subset trained with the full set's updates)."""
    generator = torch.Generator().manual_seed(seed)
    data = list(enumerate(instances))
    sampler = None
    if draws is not None and draws > len(data):
        # without replacement, num_samples > len(data) concatenates whole permutations
        sampler = RandomSampler(data, replacement=False, num_samples=draws, generator=generator)
    return DataLoader(
        data,
        batch_size=batch_size,
        shuffle=shuffle if sampler is None else False,
        sampler=sampler,
        generator=generator if sampler is None else None,
        collate_fn=Collator(task, vocab, layer_source, with_targets),
        num_workers=0,
    )


@torch.no_grad()
def predict(model: TaskModel, loader: DataLoader) -> list:
    """Predictions in instance order, on the model's device."""
    model.eval()
    out: dict[int, object] = {}
    for batch in loader:
        batch: Batch = batch.to(model.device)
        out.update(zip(batch.indices, model.task.decode(model(batch), batch)))
    return [out[i] for i in range(len(out))]


def train_and_evaluate(
    task,
    splits: dict[str, Sequence],
    rep: RepresentationConfig,
    hp: Hyperparameters | Mapping,
    out_dir: str | Path,
    *,
    layer_source=None,
    vectors: PretrainedVectors | None = None,
    seed: int = 0,
    train_fraction: float = 1.0,
    trainer_options: dict | None = None,
    progress: bool = False,
) -> dict:
    """Fit on ``splits['train']``, select on ``splits['dev']``, score dev and ``splits['test']``.

    splits: read examples per split (``train``, ``dev`` and optionally ``test``).
    hp: typed hyperparameters, or their sections ``{"trainer": ..., "embedder": ..., "head": ...}``
    (checked against the typed sections and the task's ``build_head``).
    Returns a dict: metrics per split, ``predictions[split] = (instances, predictions)`` (not
    JSON-serialisable), learned layer weights, dev history, timings and sizes.
    Writes ``out_dir/predictions/{dev,test}<suffix>`` and Lightning's CSV logs.
    """
    if not isinstance(hp, Hyperparameters):
        hp = Hyperparameters.from_sections(task, hp)
    trainer_hp = hp.trainer
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    pl.seed_everything(seed, workers=True, verbose=False)
    train_examples = task.subsample(splits["train"], train_fraction, seed)
    train = task.training_instances(train_examples)
    evals = {name: task.eval_instances(splits[name]) for name in ("dev", "test") if splits.get(name)}
    task.fit_labels(train)
    vocab = build_vocabulary(task, train, list(evals.values()), vectors)
    layer_shape = (layer_source.num_layers, layer_source.dim) if layer_source is not None and rep.elmo else None
    source = layer_source if rep.elmo else None
    model = TaskModel(task, rep, hp, vocab, vectors, layer_shape, seed=seed)
    model.dev_instances = evals["dev"]

    draws = None
    if trainer_hp.subset_updates == "full" and train_fraction < 1.0:
        full_instances = len(task.training_instances(splits["train"]))
        draws = full_instances  # as many instances, so as many updates, as an epoch of the full set
    train_loader = _loader(task, train, vocab, source, trainer_hp.batch_size, True, seed, draws=draws)
    dev_loader = _loader(task, evals["dev"], vocab, source, trainer_hp.eval_batch, False, seed)
    checkpoint = ModelCheckpoint(
        dirpath=out_dir / "checkpoints",
        monitor="dev_metric",
        mode="max",
        save_top_k=1,
        filename="best",
        enable_version_counter=False,
    )
    callbacks = [checkpoint, EarlyStopping(monitor="dev_metric", mode="max", patience=trainer_hp.patience)]
    if not progress:
        callbacks.append(EpochLines(task.main_metric, trainer_hp.max_epochs))
    options = {"accelerator": "cpu", "devices": 1, **(trainer_options or {})}
    trainer = pl.Trainer(
        max_epochs=trainer_hp.max_epochs,
        # early stopping never ends a run before min_epochs: heads such as coreference can sit at a
        # degenerate all-dummy solution (dev score 0) for a few epochs before they start to learn
        min_epochs=trainer_hp.min_epochs,
        callbacks=callbacks,
        logger=_loggers(out_dir),
        deterministic=True,
        gradient_clip_val=trainer_hp.grad_clip,
        enable_progress_bar=progress,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=max(1, min(50, len(train_loader))),
        **options,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*Checkpoint directory.*exists and is not empty.*")
        trainer.fit(model, train_loader, dev_loader)
    fit_seconds = time.time() - started
    if checkpoint.best_model_path:
        state = torch.load(checkpoint.best_model_path, map_location="cpu", weights_only=True)["state_dict"]
        model.load_state_dict(state)
    result = {
        "metrics": {},
        "predictions": {},
        "layer_weights": model.layer_weights(),
        "dev_history": model.dev_history,
        "epochs": trainer.current_epoch,
        "best_epoch": _best_epoch(model.dev_history, task.main_metric),
        "sizes": {
            "train_examples": len(train_examples),
            "train_instances": len(train),
            "train_batches_per_epoch": len(train_loader),
            **{f"{k}_instances": len(v) for k, v in evals.items()},
        },
        "vocab_size": len(vocab),
        "parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }
    if trainer.is_global_zero:
        model.to("cpu")
        pred_dir = out_dir / "predictions"
        pred_dir.mkdir(exist_ok=True)
        for name, instances in evals.items():
            loader = _loader(task, instances, vocab, source, trainer_hp.eval_batch, False, seed)
            predictions = predict(model, loader)
            result["metrics"][name] = task.evaluate(instances, predictions)
            result["predictions"][name] = (instances, predictions)
            task.write_predictions(pred_dir / f"{name}{task.predictions_suffix}", instances, predictions)
    result["seconds"] = {"fit": fit_seconds, "total": time.time() - started}
    return result


class EpochLines(pl.Callback):
    """Without a progress bar, one line per epoch on stderr: the dev score, the best so far and the
    epoch's seconds, so the log of a long run (a ``--jobs`` worker's, a cluster job's) says where it is.
    It only reads what the model recorded: the run's numbers do not depend on it."""

    def __init__(self, metric: str, max_epochs: int):
        self.metric, self.max_epochs, self.started = metric, max_epochs, time.time()

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.started = time.time()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        history = getattr(pl_module, "dev_history", [])
        if not trainer.is_global_zero or not history:
            return
        scores = [entry.get(self.metric) for entry in history if isinstance(entry.get(self.metric), (int, float))]
        if not scores:
            return
        print(f"  epoch {trainer.current_epoch + 1}/{self.max_epochs}: dev {self.metric} {scores[-1]:.2f} "
              f"(best {max(scores):.2f}), {time.time() - self.started:.0f}s", file=sys.stderr, flush=True)


def _loggers(out_dir: Path) -> list:
    """CSV always (the result files copy it); TensorBoard too when it is installed."""
    loggers = [CSVLogger(out_dir, name="logs", version="")]
    try:
        from pytorch_lightning.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(out_dir, name="tensorboard", version=""))
    except (ImportError, ModuleNotFoundError):
        pass
    return loggers


def _best_epoch(history: list[dict], key: str) -> int | None:
    if not history:
        return None
    return max(history, key=lambda h: h[key])["epoch"]
