"""Shared machinery of RNNRegressor and RNNClassifier: parameters, fit loop, predict."""

import numbers
import sys
from time import monotonic

import numpy as np

from ..exceptions import TrainingDivergedError
from ..heads import ModelSpec, get_head
from ..heads.base import NON_FINITE_OUTPUTS
from ..kernels.threads import cpu_threads, resolve_n_jobs
from ..nn import clip_grad_norm, get_optimizer, get_schedule
from ..nn._device import DEVICES, check_device
from ..nn.recurrent import CELLS, NONLINEARITIES, activation_bytes, resolve_dtype
from ._sklearn_base import EstimatorBase, check_is_fitted, check_random_state
from ._validation import (
    _input_limit,
    check_float,
    check_option,
    check_positive_int,
    check_sequences,
    check_tokens,
    check_vectors,
    shaped_as_fitted,
)

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "reduce_on_plateau")
PREDICT_BATCH = 4096  # samples per inference pass at most
PREDICT_BYTES = 1 << 28  # and about this much of activations (long sequences: fewer samples)
CHECKPOINT_MIN_INTERVAL_S = 1.0  # an epoch of a small model takes ms; a checkpoint write with fsync more


def _check_head_outputs(net, out, y):
    """Name the head when its forward's output does not fit the batch's targets.

    The targets were validated against the head's documented layout in ``fit``, so a
    mismatch here comes from the head itself (typically a plugin head), which the loss
    would otherwise report as a wrong target shape.
    """
    classes = net.spec.task == "classification"
    expected = tuple(y.shape) + ((net.spec.n_outputs,) if classes else ())
    shape = getattr(out, "shape", None)
    if shape != expected:
        raise ValueError(
            f"head {type(net).name!r} ({type(net).__module__}.{type(net).__qualname__}) returned "
            f"outputs of shape {shape} for a batch whose targets have shape {tuple(y.shape)}; its "
            f"forward must return shape {expected}"
            + (" (the targets' shape plus one logit per class)" if classes else " (one output per target value)")
        )


class _Progress:
    """Progress on stderr: a tqdm bar when tqdm is installed, else about ten status lines per fit."""

    def __init__(self, total, enabled):
        self.bar = None
        self.enabled = enabled
        self.every = max(1, total // 10)  # without tqdm: about ten lines per fit
        self.total = total
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, unit="epoch", file=sys.stderr, leave=False)
            except ImportError:
                pass

    def update(self, epoch, loss, val_loss):
        if not self.enabled:
            return
        text = f"loss={loss:.5g}" + ("" if val_loss is None else f" val_loss={val_loss:.5g}")
        if self.bar is not None:
            self.bar.set_postfix_str(text)
            self.bar.update(1)
        elif (epoch + 1) % self.every == 0 or epoch + 1 == self.total:
            print(f"epoch {epoch + 1}: {text}", file=sys.stderr)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class ArrayBatches:
    """Mini-batches gathered from whole arrays (the plain estimator case)."""

    def __init__(self, X, y, lengths, sample_weight=None):
        self.X, self.y, self.lengths, self.sample_weight = X, y, lengths, sample_weight
        self.n_samples = X.shape[0]

    def batch(self, idx):
        """(X, y, lengths, sample_weight) of the samples ``idx``."""
        return (self.X[idx], self.y[idx], None if self.lengths is None else self.lengths[idx],
                None if self.sample_weight is None else self.sample_weight[idx])


def _scaled(out, target_scaling):
    """``out * scale + shift`` in float64, or ``out`` itself without a scaling."""
    if target_scaling is None:
        return out
    scale, shift = target_scaling
    out = np.multiply(out, scale, dtype=np.float64)
    out += shift
    return out


def _weights_in_dtype(sample_weight, dtype):
    """Validated float64 sample weights in the network's dtype, rescaled by their largest
    where that dtype could not hold them exactly (float32 keeps weights below ~1.2e-38
    with fewer digits, turns those below ~1.4e-45 into 0 and those above ~3e38 into inf).
    Only their ratios matter to the weighted losses, so weights the dtype holds are kept
    exactly as given; after the rescaling, a weight below ~1.4e-45 of the largest still
    becomes 0 in float32 (float64 keeps it)."""
    if (sample_weight < 0).any():
        raise ValueError("sample_weight must be non-negative")
    info = np.finfo(dtype)
    positive = sample_weight[sample_weight > 0]
    if positive.size and (positive.min() < info.tiny or positive.max() > info.max):
        sample_weight = sample_weight / positive.max()
    return sample_weight.astype(dtype)


def _training_fingerprint(*sources):
    """SHA-256 (hex) of what a fit trains on: every public array and plain setting of its
    batch sources (arrays, or the forecaster's window buffer, starts, scaling and sizes).
    A checkpoint records it; resuming on other data (or windows) is refused."""
    import hashlib

    digest = hashlib.sha256()

    def add(obj, depth):
        digest.update(type(obj).__name__.encode())
        for name, value in sorted(vars(obj).items()) if hasattr(obj, "__dict__") else ():
            if name.startswith("_"):
                continue
            if isinstance(value, np.ndarray):
                digest.update(f"{name}:{value.dtype.str}:{value.shape}".encode())
                digest.update(repr(value.tolist()).encode() if value.dtype == object
                              else np.ascontiguousarray(value).view(np.uint8).reshape(-1).data)
            elif value is None or isinstance(value, (bool, int, float, str, np.generic, np.dtype)):
                digest.update(f"{name}={value!r}".encode())
            elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str)) for v in value):
                digest.update(f"{name}={list(value)!r}".encode())
            elif hasattr(value, "__dict__") and depth < 3:  # a wrapper (encoder-decoder targets, a loss)
                digest.update(f"{name}:".encode())
                add(value, depth + 1)

    for source in sources:
        add(source, 0)
    return digest.hexdigest()


class BaseRNN(EstimatorBase):
    """Base class; see RNNRegressor / RNNClassifier for the parameters."""

    _task = None  # "regression" or "classification"

    # RNNRegressor's defaults (it inherits this signature); RNNClassifier lists its own
    def __init__(
        self,
        cell="gru",
        hidden_size=32,
        num_layers=1,
        head="last",
        head_params=None,
        output_length=None,
        nonlinearity="tanh",
        loss=None,
        max_epochs=200,
        batch_size=16,
        learning_rate=1e-2,
        optimizer="adam",
        weight_decay=0.0,
        clip_norm=1.0,
        lr_schedule="constant",
        early_stopping=True,
        validation_fraction=0.2,
        patience=20,
        tol=1e-4,
        random_state=None,
        n_jobs=None,
        device="cpu",
        dtype="float32",
        verbose=0,
        warm_start=False,
        checkpoint=None,
        checkpoint_every=1,
        embedding_dim=None,
        vocab_size=None,
        padding_idx=0,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.head = head
        self.head_params = head_params
        self.output_length = output_length
        self.nonlinearity = nonlinearity
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.clip_norm = clip_norm
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.dtype = dtype
        self.verbose = verbose
        self.warm_start = warm_start
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.embedding_dim = embedding_dim
        self.vocab_size = vocab_size
        self.padding_idx = padding_idx

    # ------------------------------------------------------------------ hooks
    def _loss_fn(self):
        raise NotImplementedError

    def _encode_y(self, y, head, X, lengths, reset, classes=None, sample_weight=None):
        """Validated training target in the model's space and n_outputs."""
        raise NotImplementedError

    def _score_from_outputs(self, out, y, lengths, sample_weight=None):
        """Validation score of model outputs ``out`` for targets ``y`` in model space,
        weighted as :meth:`score` weights ``sample_weight``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        check_option("cell", self.cell, CELLS)
        check_option("nonlinearity", self.nonlinearity, NONLINEARITIES)
        check_option("optimizer", self.optimizer, OPTIMIZERS)
        check_option("lr_schedule", self.lr_schedule, SCHEDULES)
        check_option("device", self.device, DEVICES)
        check_device(self.device)  # "cuda" without a usable GPU: DeviceUnavailableError (a ValueError) saying why
        for name in ("hidden_size", "num_layers", "max_epochs", "batch_size", "patience", "checkpoint_every"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("output_length", self.output_length, allow_none=True)
        check_positive_int("embedding_dim", self.embedding_dim, allow_none=True)
        check_positive_int("vocab_size", self.vocab_size, allow_none=True)
        if self.vocab_size is not None and self.embedding_dim is None:
            raise ValueError("vocab_size is for token input, which needs embedding_dim too (X then holds token ids)")
        if self.padding_idx is not None:
            if isinstance(self.padding_idx, bool) or not isinstance(self.padding_idx, numbers.Integral) or self.padding_idx < 0:
                raise ValueError(f"padding_idx must be a non-negative integer or None, got {self.padding_idx!r}")
            if self.vocab_size is not None and self.padding_idx >= self.vocab_size:
                raise ValueError(f"padding_idx={self.padding_idx} must be < vocab_size={self.vocab_size}")
        check_float("learning_rate", self.learning_rate, low=0, low_open=True)
        check_float("weight_decay", self.weight_decay, low=0)
        check_float("tol", self.tol, low=0)
        check_float("validation_fraction", self.validation_fraction, low=0, high=1, low_open=True)
        if self.validation_fraction >= 1:
            raise ValueError(f"validation_fraction must be < 1, got {self.validation_fraction}")
        if self.clip_norm is not None:
            check_float("clip_norm", self.clip_norm, low=0, low_open=True)
        resolve_n_jobs(self.n_jobs)
        self._dtype = resolve_dtype(self.dtype)
        if not (self.head_params is None or isinstance(self.head_params, dict)):
            raise ValueError(f"head_params must be a dict of head options or None, got {self.head_params!r:.60}")
        head = get_head(self.head, self._head_options())
        return head

    def _head_options(self):
        """The head's options: ``head_params``; None means max pooling over time for the
        "last" head (the estimators' default, see their docstrings), else the head's own
        defaults."""
        if self.head_params is None and self.head == "last":
            return {"pooling": "max"}
        return self.head_params

    def _check_X(self, X, head, reset, lengths=None):
        if self._token_input(reset):
            if head.input_kind == "vector":
                raise ValueError(f"head {head.name!r} takes vectors: token input (embedding_dim) needs a sequence head")
            return check_tokens(self, X, reset, lengths)
        if head.input_kind == "vector":
            if lengths is not None:
                raise ValueError(f"head {head.name!r} takes vectors: lengths does not apply")
            return check_vectors(self, X, self._dtype, reset)
        return check_sequences(self, X, self._dtype, reset, lengths)

    def _token_input(self, reset):
        """Whether X holds token ids: the parameter in fit, the fitted model afterwards."""
        if reset or not hasattr(self, "network_"):
            return self.embedding_dim is not None
        return self.network_.embedding is not None

    # ------------------------------------------------------------------ fitting
    def _build(self, head, n_outputs, output_length, seed):
        spec = ModelSpec(
            cell=self.cell, hidden_size=self.hidden_size, num_layers=self.num_layers,
            nonlinearity=self.nonlinearity, dtype=self._dtype, n_features=self._n_step_features,
            n_outputs=n_outputs, output_length=output_length, task=self._task, random_state=seed,
            device=self.device,
        )
        if self.embedding_dim is not None:
            spec.vocab_size, spec.embedding_dim, spec.padding_idx = self.vocab_size_, self.embedding_dim, self.padding_idx
        self.network_ = head.initialize(spec)
        self._optimizer = self._make_optimizer()
        self._schedule = self._make_schedule()
        self.loss_curve_ = []
        self.validation_scores_ = []
        self.validation_loss_curve_ = []
        self.best_loss_ = np.inf
        self.n_iter_ = 0
        self.t_ = 0

    def _optimizer_settings(self):
        return (self.optimizer, self.learning_rate, self.weight_decay, self.lr_schedule, self._schedule_kwargs())

    def _check_same_network(self, head, incremental):
        """Continued training (warm_start, partial_fit) keeps the fitted network: refuse
        parameters that describe another one (they would be ignored silently)."""
        net = self.network_
        spec = net.spec
        built = {"cell": spec.cell, "hidden_size": spec.hidden_size, "num_layers": spec.num_layers,
                 "dtype": np.dtype(spec.dtype).name, "head": type(net).name, "head_params": net.get_options()}
        wanted = {"cell": self.cell, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                  "dtype": np.dtype(self._dtype).name, "head": type(head).name, "head_params": head.get_options()}
        if spec.cell == "rnn" or self.cell == "rnn":
            built["nonlinearity"], wanted["nonlinearity"] = spec.nonlinearity, self.nonlinearity
        built["embedding_dim"], wanted["embedding_dim"] = spec.embedding_dim, self.embedding_dim
        if spec.embedding_dim is not None and self.embedding_dim is not None:  # (unused without token input)
            built["padding_idx"], wanted["padding_idx"] = spec.padding_idx, self.padding_idx
            if self.vocab_size is not None:  # (None: read from the data)
                built["vocab_size"], wanted["vocab_size"] = spec.vocab_size, self.vocab_size
        changed = [k for k in built if built[k] != wanted[k]]
        if changed:
            how = "partial_fit" if incremental else "warm_start=True"
            raise ValueError(
                f"{type(self).__name__} with {how} continues training the fitted network, built with "
                + ", ".join(f"{k}={built[k]!r}" for k in changed) + "; the parameters now say "
                + ", ".join(f"{k}={wanted[k]!r}" for k in changed)
                + ". Fit a new network (warm_start=False, or a fresh estimator) to change them."
            )

    def _make_optimizer(self):
        self._built_optimizer = self._optimizer_settings()
        # always passed: 0.0 means no decay (AdamW's own default is 0.01)
        return get_optimizer(self.optimizer, lr=self.learning_rate, weight_decay=self.weight_decay)

    def _make_schedule(self):
        return get_schedule(self.lr_schedule, base_lr=self.learning_rate, **self._schedule_kwargs())

    # ------------------------------------------------------------------ model files
    def save(self, path, overwrite=False):
        """Save the fitted model to one safe file (arrays + JSON, no pickle); see :func:`tsrnn.load`.

        Parameters
        ----------
        path : str or Path
        overwrite : bool, default=False
            Replace an existing file; otherwise FileExistsError.
        """
        from ..io import save_model

        check_is_fitted(self, "network_")
        save_model(self, path, overwrite=overwrite)

    def _write_checkpoint(self, loop, best_params):
        """Model file + what the loop needs to go on exactly: rng state, counters, best weights."""
        from ..io import write_state

        state, arrays = self._get_state()
        # (start, first_score: this fit's first epoch and validation score, after those of
        # earlier warm-started fits)
        state["checkpoint"] = dict(loop, rng=self._rng.bit_generator.state,
                                   data=self.__dict__.get("_data_fingerprint"),
                                   start=self.__dict__.get("_start_iter", 0),
                                   first_score=self.__dict__.get("_first_score", 0))
        if best_params is not None:
            arrays["checkpoint.best_params"] = best_params
        write_state(self.checkpoint, type(self).__name__, state, arrays, overwrite=True)

    def _check_checkpoint_target(self):
        """Refuse, before any training, a ``checkpoint`` path that holds something else.

        Checkpoints replace the file at that path; an earlier checkpoint (of any tsrnn
        estimator) may be replaced, but never a folder or a file the user wrote.
        """
        from pathlib import Path

        from ..io import is_checkpoint

        if self.checkpoint is None:
            return
        path = Path(self.checkpoint)
        if path.is_dir():
            raise ValueError(f"checkpoint={str(path)!r} is a folder; give a file path")
        if not path.parent.is_dir():
            raise ValueError(f"checkpoint={str(path)!r}: folder {str(path.parent)!r} does not exist")
        if path.exists() and not is_checkpoint(path):
            raise ValueError(f"checkpoint={str(path)!r} exists and is not a tsrnn checkpoint; refusing to overwrite "
                             "it: choose another path or remove the file")

    def _checkpoint_start(self):
        """The epoch count the checkpointed fit started at (after earlier warm-started fits),
        or this model's own where there is no readable checkpoint (resume explains that)."""
        from pathlib import Path

        from ..io import read_model_file

        if self.checkpoint is None or not Path(self.checkpoint).is_file():
            return self.n_iter_
        try:
            meta, _ = read_model_file(self.checkpoint)
            return int(meta["state"]["checkpoint"].get("start", 0))
        except Exception:  # not a checkpoint of this kind: _resume_from_checkpoint refuses it
            return self.n_iter_

    def _resume_from_checkpoint(self, epochs):
        """Load the checkpoint (if any) into self; return the epochs left to run. The
        checkpoint must come from a fit of the same parameters on the same data
        (``_data_fingerprint``; checkpoints of older versions record no data)."""
        from pathlib import Path

        from ..io import read_model_file
        from ._persistence import from_state

        if self.checkpoint is None:
            raise ValueError("resume=True needs the checkpoint parameter (a file path)")
        if not Path(self.checkpoint).exists():
            return epochs  # nothing to resume: a fresh fit that writes checkpoints
        meta, arrays = read_model_file(self.checkpoint)
        if meta["class"] != type(self).__name__ or "checkpoint" not in meta["state"]:
            raise ValueError(f"{self.checkpoint} is not a checkpoint of a {type(self).__name__}")
        def settings(params):  # (threads and progress output change no result)
            return {k: v for k, v in params.items() if k not in ("n_jobs", "verbose")}

        mine = self._get_state()[0]["params"] if hasattr(self, "network_") else None
        saved = from_state(type(self), meta["state"], arrays)
        if mine is not None and settings(mine) != settings(saved._get_state()[0]["params"]):
            raise ValueError(f"{self.checkpoint} was written with other parameters; refusing to resume")
        written_on = meta["state"]["checkpoint"].get("data")
        if written_on is not None and written_on != self.__dict__.get("_data_fingerprint"):
            raise ValueError(f"{self.checkpoint} was written by a fit on other data (or other windows, scaling or "
                             "sizes); refusing to resume. Give the data it was written with, or fit without "
                             "resume=True to start over (the checkpoint is then replaced)")
        for key, value in vars(saved).items():
            if key.endswith("_") or key.startswith("_") and key not in ("_loop_state",):
                setattr(self, key, value)
        if self.network_.spec.device != self.device:  # model files load onto the CPU
            self.network_.set_device(self.device)
        loop = meta["state"]["checkpoint"]
        self._rng.bit_generator.state = loop["rng"]
        self._loop_state = {"no_improve": loop["no_improve"], "finished": loop["finished"],
                            "best_params": arrays.get("checkpoint.best_params")}
        # n_iter_ counts the epochs of earlier warm-started fits too: this fit's began after them
        self._first_score = int(loop.get("first_score", 0))
        self._start_iter = int(loop.get("start", 0))
        return max(0, self.max_epochs - (self.n_iter_ - self._start_iter))

    def _get_state(self):
        from ._persistence import get_state

        return get_state(self)

    @classmethod
    def _from_state(cls, state, arrays):
        from ._persistence import from_state

        return from_state(cls, state, arrays)

    def _schedule_kwargs(self):
        if self.lr_schedule == "step":
            return {"step_size": max(1, self.max_epochs // 3), "gamma": 0.1}
        if self.lr_schedule == "cosine":
            return {"T_max": self.max_epochs}
        if self.lr_schedule == "reduce_on_plateau":
            return {"patience": max(1, self.patience // 2)}
        return {}

    def fit(self, X, y, sample_weight=None, lengths=None, resume=False):
        """Fit the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]), or (n_samples, n_features) for vec2seq
            Trailing all-NaN steps mark variable-length sequences.
        y : array-like
            Shape depends on the head: (n_samples[, n_outputs]) for "last",
            (n_samples, n_timesteps[, n_outputs]) for "sequence",
            (n_samples, output_length[, n_outputs]) for "vec2seq" / "encoder_decoder".
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative; only their ratios matter (weights the network's dtype cannot
            hold, such as 1e-300 in float32, are divided by the largest first).
        lengths : array-like of int of shape (n_samples,), optional
            Valid steps per sample (instead of NaN padding).
        resume : bool, default=False
            Continue from the file named by the ``checkpoint`` parameter when it exists
            (same data and parameters as the interrupted fit, else ValueError: the
            checkpoint records both): the result equals an uninterrupted fit, weights
            bit for bit.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, lengths, incremental=False, resume=resume)

    def _fit(self, X, y, sample_weight, lengths, incremental, classes=None, resume=False):
        # validation records what it learns (n_features_in_, classes_, y_mean_, ...) as it
        # goes: input refused half way must leave a fitted model (or a fresh one) as it was
        before = dict(self.__dict__)
        network = before.get("network_")
        device = None if network is None else network.spec.device  # set_device edits the network in place
        try:
            prepared = self._prepare_fit(X, y, sample_weight, lengths, incremental, classes, resume)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if network is not None and network.spec.device != device:
                network.set_device(device)
            raise
        # Overflow during a diverging fit is reported once, as TrainingDivergedError.
        with cpu_threads(self.n_jobs), np.errstate(over="ignore", invalid="ignore"):
            self._train(*prepared, incremental)
        return self

    def _prepare_fit(self, X, y, sample_weight, lengths, incremental, classes, resume):
        """Validate and encode the fit's data, build or check the network: the arguments
        of :meth:`_train` but ``incremental``."""
        head = self._check_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        fitted = hasattr(self, "network_")
        reset = not ((self.warm_start or incremental) and fitted)
        X, lengths = self._check_X(X, head, reset=reset, lengths=lengths)
        if reset:
            self._n_step_features = X.shape[-1] if self.embedding_dim is None else self.embedding_dim
        n = X.shape[0]
        if sample_weight is not None:
            from sklearn.utils.validation import _check_sample_weight

            sample_weight = _weights_in_dtype(_check_sample_weight(sample_weight, X, dtype=np.float64), self._dtype)
        y, n_outputs, output_length = self._encode_y(y, head, X, lengths, reset, classes, sample_weight)
        if y.shape[0] != n:
            raise ValueError(f"X has {n} samples but y has {y.shape[0]}")
        if sample_weight is not None:
            # a plain fit must see two classes; partial_fit (classes given) and a
            # warm-started fit keep the classes they have, whatever one batch holds
            one_fit = reset and classes is None
            if one_fit and self._task == "classification" and y.ndim == 1 and np.unique(y[sample_weight > 0]).size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes with positive sample_weight; "
                    "the weights leave only one class"
                )
        rs = check_random_state(self.random_state)
        seeds = rs.randint(0, 2**31 - 1, size=2)
        if reset:
            self._build(head, n_outputs, output_length, int(seeds[0]))
        else:
            self._check_same_network(head, incremental)
            self.network_.set_device(self.device)  # e.g. a loaded CPU model warm-started on "cuda"
            if not incremental:  # a warm-started fit's early stopping judges its own epochs
                self.best_loss_ = np.inf
            if not incremental or self._optimizer_settings() != getattr(self, "_built_optimizer", None):
                # as scikit-learn's MLP: each warm-started fit gets a fresh optimizer and
                # schedule from the current parameters (partial_fit keeps them going unless
                # those parameters changed, which would otherwise be ignored)
                self._optimizer = self._make_optimizer()
                self._schedule = self._make_schedule()
        # (seeded with the epoch count this fit starts at: a resume reads it from the
        # checkpoint, so its validation split is the interrupted fit's)
        start = self._checkpoint_start() if resume else self.n_iter_
        self._rng = np.random.default_rng(int(seeds[1]) + start)

        if self.checkpoint is not None:
            # all the data, before the validation split (random_state=None draws a new one each
            # fit); targets in model space, so their scaling and labels count too
            from types import SimpleNamespace

            classes = getattr(self, "classes_", None)
            encoding = SimpleNamespace(y_mean_=getattr(self, "y_mean_", None), y_scale_=getattr(self, "y_scale_", None),
                                       classes_=None if classes is None else np.array(classes.tolist(), dtype=object))
            self._data_fingerprint = _training_fingerprint(ArrayBatches(X, y, lengths, sample_weight), encoding)
        val = None
        if self.early_stopping and not incremental:
            X, y, lengths, sample_weight, val = self._split_validation(X, y, lengths, sample_weight)
        epochs = 1 if incremental else self.max_epochs
        self._loop_state = {"no_improve": 0, "finished": False}
        self._first_score = len(self.validation_scores_)  # this fit's validation scores start here
        self._start_iter = self.n_iter_  # and its epochs (after a warm-started fit's)
        if resume:
            epochs = self._resume_from_checkpoint(epochs)
        elif reset:  # continued training replaces its own checkpoint
            self._check_checkpoint_target()
        return X, y, lengths, sample_weight, val, epochs

    def _fit_from_batches(self, data, n_step_features, n_outputs, output_length=None, val=None, resume=False,
                          loss_fn=None, score_fn=None, cancel=None):
        """Fit on a batch source whose targets are already in model space (scaled).

        For callers that gather mini-batches themselves, e.g. the forecaster's windows
        over one contiguous buffer. ``data`` / ``val`` are as in :meth:`_train_batches`;
        ``loss_fn`` / ``score_fn`` replace the estimator's loss and validation score for
        outputs that are not plain predictions (e.g. several quantiles per target);
        ``cancel`` (a ``threading.Event``) ends the fit with ``KeyboardInterrupt`` once set.
        """
        head = self._check_params()
        self._n_step_features = n_step_features
        self.n_features_in_ = n_step_features
        self._input_ndim = 3
        rs = check_random_state(self.random_state)
        seeds = rs.randint(0, 2**31 - 1, size=2)
        self._build(head, n_outputs, output_length, int(seeds[0]))
        self._rng = np.random.default_rng(int(seeds[1]))
        epochs = self.max_epochs
        self._loop_state = {"no_improve": 0, "finished": False}
        self._first_score = self._start_iter = 0
        if self.checkpoint is not None:  # (a forecaster's own loss, e.g. its quantiles, counts too)
            self._data_fingerprint = (_training_fingerprint(data, val, loss_fn)
                                      + f"/{n_step_features}/{n_outputs}/{output_length}")
        if resume:
            epochs = self._resume_from_checkpoint(epochs)
        else:
            self._check_checkpoint_target()
        with cpu_threads(self.n_jobs), np.errstate(over="ignore", invalid="ignore"):
            self._train_batches(data, val, epochs, incremental=False, loss_fn=loss_fn, score_fn=score_fn,
                                cancel=cancel)
        return self

    def _split_validation(self, X, y, lengths, sample_weight):
        from sklearn.model_selection import train_test_split

        n = X.shape[0]
        n_val = int(np.ceil(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(f"early_stopping needs at least 2 samples (validation_fraction={self.validation_fraction}, n_samples={n})")
        stratify = y if (self._task == "classification" and y.ndim == 1) else None
        idx = np.arange(n)
        try:
            tr, va = train_test_split(idx, test_size=n_val, random_state=int(self._rng.integers(2**31 - 1)), stratify=stratify)
        except ValueError:  # a class too rare to stratify
            tr, va = train_test_split(idx, test_size=n_val, random_state=int(self._rng.integers(2**31 - 1)))
        tr, va = np.sort(tr), np.sort(va)
        sw = None if sample_weight is None else sample_weight[tr]
        sw_val = None if sample_weight is None else sample_weight[va]
        for part, weights, size in (("validation", sw_val, len(va)), ("training", sw, len(tr))):
            if weights is not None and not weights.sum(dtype=np.float64) > 0:
                raise ValueError(
                    f"early stopping's {part} split ({size} samples, validation_fraction="
                    f"{self.validation_fraction}) holds only samples of weight 0, so it has nothing to "
                    f"{'measure' if part == 'validation' else 'learn'}; set early_stopping=False, or give more "
                    "samples a positive weight")
        if lengths is None:  # vector input (vec2seq): no steps to count
            return X[tr], y[tr], None, sw, ArrayBatches(X[va], y[va], None, sw_val)
        return X[tr], y[tr], lengths[tr], sw, ArrayBatches(X[va], y[va], lengths[va], sw_val)

    def _train(self, X, y, lengths, sample_weight, val, epochs, incremental):
        self._train_batches(ArrayBatches(X, y, lengths, sample_weight), val, epochs, incremental)

    def _train_batches(self, data, val, epochs, incremental, loss_fn=None, score_fn=None, cancel=None):
        """The fit loop over any batch source (arrays, or windows gathered on the fly).

        Parameters
        ----------
        data, val : objects with ``n_samples`` and ``batch(idx) -> (X, y, lengths, sample_weight)``
            Training data and optional validation data.
        loss_fn : callable, optional
            ``loss_fn(out, y, sample_weight) -> (value, dout)``; default the estimator's loss.
        score_fn : callable, optional
            ``score_fn(out, y, lengths)`` of the validation data; default
            ``_score_from_outputs``, which also weighs the validation samples' weights.
        cancel : threading.Event, optional
            Checked before every mini-batch: once set, the fit ends with ``KeyboardInterrupt``
            (another thread's Ctrl-C stops a fit running in a worker thread).
        """
        net = self.network_
        # the estimator's own losses know the targets' layout; forecaster losses reshape it
        check_outputs = loss_fn is None
        loss_fn = self._loss_fn() if loss_fn is None else loss_fn
        n = data.n_samples
        bs = min(self.batch_size, n)
        # The losses average over their batch's weights; a batch's loss is then scaled by
        # its share of the data's weight (sum of its weights / (its size x the mean
        # weight)), so that a mini-batch estimates the weighted mean over all samples.
        # Without it, weights cancel in a batch of one and count only relative to their
        # batch's other samples. (Equal weights give a share of exactly 1.)
        weights = getattr(data, "sample_weight", None)
        mean_weight = None if weights is None or not len(weights) else float(np.mean(weights, dtype=np.float64))
        backup = net.flat_params.copy()  # weights that last gave a finite loss
        loop = getattr(self, "_loop_state", None) or {"no_improve": 0, "finished": False}
        best_params = loop.get("best_params")
        no_improve = loop["no_improve"]
        if loop["finished"]:
            epochs = 0
        progress = _Progress(epochs, bool(self.verbose))
        last_checkpoint = monotonic()
        try:
            for epoch_index in range(epochs):
                epoch = self.n_iter_
                net.on_epoch_start(epoch, self._rng)
                self._optimizer.lr = self._schedule.lr
                order = self._rng.permutation(n)
                total, weight_sum = 0.0, 0.0
                for start in range(0, n, bs):
                    if cancel is not None and cancel.is_set():
                        raise KeyboardInterrupt("the fit was stopped")
                    idx = np.sort(order[start : start + bs])
                    Xb, yb, lb, wb = data.batch(idx)
                    if wb is not None and not wb.sum(dtype=np.float64) > 0:
                        continue  # a batch of zero-weight samples has nothing to teach: no step
                    out = net.forward(net.embed(Xb), lb, yb, training=True)
                    if check_outputs:
                        _check_head_outputs(net, out, yb)
                        check_outputs = False
                    value, dout = net.loss(out, yb, wb, lb, loss_fn)
                    batch_value = value  # the batch's weighted mean, for the epoch's loss
                    if wb is not None and mean_weight:
                        share = float(wb.sum(dtype=np.float64)) / (len(idx) * mean_weight)
                        if share != 1.0:
                            value, dout = value * share, dout * dout.dtype.type(share)
                    net.backward_embedding(net.backward(dout))
                    norm = clip_grad_norm(net.flat_grad, self.clip_norm) if self.clip_norm else np.linalg.norm(net.flat_grad)
                    if not (np.isfinite(value) and np.isfinite(norm)):
                        net.flat_params[...] = backup
                        raise TrainingDivergedError(
                            f"training diverged at epoch {epoch + 1}, batch {start // bs + 1}: the "
                            f"{'loss' if not np.isfinite(value) else 'gradient'} became NaN or infinite. "
                            f"The last finite weights were restored. Lower learning_rate "
                            f"(now {self._optimizer.lr:g}) or set clip_norm (now {self.clip_norm})."
                        )
                    np.copyto(backup, net.flat_params)
                    self._optimizer.step(net.flat_params, net.flat_grad)
                    self.t_ += 1
                    w = len(idx) if wb is None else float(wb.sum())
                    total += batch_value * w
                    weight_sum += w
                if not np.isfinite(net.flat_params).all():
                    net.flat_params[...] = backup
                    raise TrainingDivergedError(
                        f"training diverged at epoch {epoch + 1}: the weights overflowed. The last finite "
                        f"weights were restored. Lower learning_rate (now {self._optimizer.lr:g})."
                    )
                epoch_loss = total / max(weight_sum, 1e-300)
                self.loss_curve_.append(epoch_loss)
                self.n_iter_ += 1
                val_loss = None
                if val is not None:
                    val_loss, val_score = self._evaluate(*val.batch(np.arange(val.n_samples)), loss_fn, score_fn)
                    self.validation_loss_curve_.append(val_loss)
                    self.validation_scores_.append(val_score)
                monitored = epoch_loss if val_loss is None else val_loss
                progress.update(epoch, epoch_loss, val_loss)
                self._schedule.step(monitored)
                if incremental:
                    self.best_loss_ = min(self.best_loss_, monitored)
                    continue
                if monitored < self.best_loss_ - self.tol:
                    no_improve = 0
                    if val is not None:
                        best_params = net.flat_params.copy()
                else:
                    no_improve += 1
                self.best_loss_ = min(self.best_loss_, monitored)
                stop = no_improve >= self.patience
                if self.checkpoint is not None and (stop or epoch_index == epochs - 1 or (  # (the last: the
                        self.n_iter_ % self.checkpoint_every == 0                          # finished model)
                        and monotonic() - last_checkpoint >= CHECKPOINT_MIN_INTERVAL_S)):
                    self._write_checkpoint({"no_improve": no_improve, "finished": stop}, best_params)
                    last_checkpoint = monotonic()
                if stop:
                    break
        finally:
            progress.close()
            self._loop_state = None
            net.release_training_buffers()  # scratch arrays, last cache and GPU buffers: gone with the fit
        if best_params is not None:
            net.flat_params[...] = best_params
            self.best_validation_score_ = max(self.validation_scores_[getattr(self, "_first_score", 0):])
        elif val is None and not incremental:
            self.__dict__.pop("best_validation_score_", None)  # a fit without validation has none

    def _evaluate(self, X, y, lengths, sample_weight, loss_fn, score_fn=None):
        out = self._forward_batches(X, lengths)
        value, _ = self.network_.loss(out, y, sample_weight, lengths, loss_fn)
        if score_fn is None:
            return float(value), float(self._score_from_outputs(out, y, lengths, sample_weight))
        return float(value), float(score_fn(out, y, lengths))

    # ------------------------------------------------------------------ prediction
    def _forward_batches(self, X, lengths, output_length=None):
        net = self.network_
        kwargs = {} if output_length is None else {"output_length": output_length}
        rows = self._predict_rows(X, output_length)
        if X.shape[0] <= rows:
            out = net.predict(net.embed(X), lengths, **kwargs)
        else:
            parts = [
                net.predict(net.embed(X[s : s + rows]), None if lengths is None else lengths[s : s + rows], **kwargs)
                for s in range(0, X.shape[0], rows)
            ]
            out = np.concatenate(parts)
        if not np.isfinite(out).all():
            raise FloatingPointError(NON_FINITE_OUTPUTS)
        return out

    def _predict_rows(self, X, output_length=None):
        """Samples per inference pass: PREDICT_BATCH, fewer where their activations (every
        step of every layer, whatever the head keeps) would pass PREDICT_BYTES: 4096
        sequences of 1000 steps took 2 GB and 5x the time of passes of a few hundred."""
        spec = self.network_.spec
        steps = max(X.shape[1] if X.ndim > 1 else 1, output_length or self.output_length or 1)
        per_sample = activation_bytes(spec.cell, 1, steps, spec.hidden_size, spec.num_layers, spec.dtype,
                                      training=False)
        return int(max(1, min(PREDICT_BATCH, PREDICT_BYTES // max(per_sample, 1))))

    def _network_on_cpu_if_asked(self):
        """``network_``, moved to the CPU first where ``set_params(device="cpu")`` was
        called on a model trained on the GPU (the network follows at predict)."""
        head = self.network_
        if self.device == "cpu" and head.spec.device != "cpu":
            head.set_device("cpu")
        return head

    def _raw_predict(self, X, lengths=None, target_scaling=None):
        """Network outputs and the lengths used (None: every sample's full length).

        ``target_scaling``: (scale, shift) of a regressor's targets; when given, the
        outputs come back as ``out * scale + shift`` in float64 (on the fused path, from
        the compiled call itself: ~1.5 us less per one-sample predict)."""
        if not hasattr(self, "network_"):  # sklearn's check walks the estimator tags: ~20 us a call
            check_is_fitted(self, "network_")
        head = self._network_on_cpu_if_asked()
        if lengths is None and type(X) is np.ndarray and X.ndim and head.predicts_serially(len(X)):
            # a few samples as an array shaped as in fit: the head's fused call checks the
            # values (None sends NaN padding, inf and huge values to the full path below;
            # larger batches go there directly, converted once)
            X3 = shaped_as_fitted(self, X, self._dtype)
            fused = target_scaling is not None and head.fuses_target_scaling
            out = None
            if X3 is not None:
                limit = _input_limit(self._dtype)
                out = (head.predict_checked(X3, limit, target_scaling=target_scaling) if fused
                       else head.predict_checked(X3, limit))
            if out is not None:
                return (out if fused else _scaled(out, target_scaling)), None
        X, lengths = self._check_X(X, head, reset=False, lengths=lengths)
        output_length = None
        if head.output_kind == "sequence" and not head.aligned and self.output_length is not None:
            # may be set after fit: checked as fit checks it
            output_length = check_positive_int("output_length", self.output_length)
        if head.predicts_serially(X.shape[0]):
            out = self._forward_batches(X, lengths, output_length)
        else:
            with cpu_threads(self.n_jobs):
                out = self._forward_batches(X, lengths, output_length)
        return _scaled(out, target_scaling), lengths

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN is accepted only as trailing padding of variable-length sequences, which
        # sklearn's generic NaN checks do not model; they see a clear error instead.
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags
