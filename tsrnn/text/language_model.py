"""``RNNLanguageModel``: next-token prediction on the "sequence" head, trained with
truncated BPTT over a long token stream."""

import math
import numbers
import sys

import numpy as np

from ..estimators._sklearn_base import EstimatorBase, check_is_fitted
from ..estimators._persistence import _params_state
from ..estimators._validation import check_int, check_option
from ..exceptions import TrainingDivergedError
from ..heads import ModelSpec, get_head
from ..kernels.threads import cpu_threads, resolve_n_jobs
from ..nn import clip_grad_norm, get_loss, get_optimizer, softmax
from ..nn._device import DEVICES, check_device
from ..nn.recurrent import CELLS, resolve_dtype
from .tokenizer import Tokenizer

SPECIALS = ("<pad>", "<unk>", "<eos>")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
_EVAL_CHUNK = 8192


class RNNLanguageModel(EstimatorBase):
    """Character- or word-level recurrent language model.

    An embedding, a recurrent stack (RNN, LSTM or GRU) and a dense layer over the
    vocabulary at every step: the ``"sequence"`` head with token input, trained with
    softmax cross-entropy to predict each next token.

    Training uses truncated BPTT: the texts are joined into one token stream (each
    text preceded by an ``<eos>`` marker), cut into ``batch_size`` parallel streams,
    and each stream is read in consecutive chunks of ``tbptt_steps`` tokens. The hidden
    state (and LSTM cell state) at the end of a chunk is the initial state of the next
    chunk of the same stream, so context crosses chunk boundaries, but it is a constant
    there: gradients stop at chunk boundaries. Each epoch starts from zero states at a
    random offset into the stream, so chunk boundaries move.

    Parameters
    ----------
    level : {"char", "word"}, default="char"
        Tokens: characters or whitespace-separated words (see :class:`tsrnn.text.Tokenizer`).
    cell : {"lstm", "gru", "rnn"}, default="lstm"
    hidden_size : int, default=128
    num_layers : int, default=1
    embedding_dim : int, default=32
    tbptt_steps : int, default=64
        Chunk length of truncated BPTT.
    batch_size : int, default=32
        Parallel streams (fewer when the text is short).
    max_epochs : int, default=10
    learning_rate : float, default=3e-3
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}, default="adam"
    clip_norm : float or None, default=1.0
    lowercase : bool, default=False
    min_freq : int, default=1
        Rarer tokens become ``<unk>``.
    max_vocab : int or None
    random_state : int or None
        Weights, epoch offsets. Same seed, same model.
    n_jobs : int or None
        CPU threads for the kernels (-1 all cores, -2 all but one, ...).
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the recurrent stack runs (the embedding, output layer and loss stay on
        the CPU): ``"cuda"`` needs a usable NVIDIA GPU (DeviceUnavailableError saying
        why otherwise); ``"auto"`` uses it for the batches where it is faster. Model
        files do not record the device: a loaded model runs on the CPU
        (``lm.network_.set_device("cuda")`` moves it).
    dtype : {"float32", "float64"}, default="float32"
    verbose : int, default=0

    Attributes
    ----------
    tokenizer_ : Tokenizer
        Vocabulary; ids 0, 1, 2 are ``<pad>``, ``<unk>``, ``<eos>``.
    network_ : SequenceHead
        Embedding + recurrent body + output layer, one flat parameter vector.
    loss_curve_ : list of float
        Mean training cross-entropy (nats per token) of each epoch.
    n_iter_ : int

    Examples
    --------
    >>> lm = RNNLanguageModel(max_epochs=5, random_state=0).fit(["hello world"] * 50)
    >>> lm.predict_next("hello wor", k=1)  # doctest: +SKIP
    [('l', 0.97)]
    >>> lm.generate("hel", n=8, random_state=0)  # doctest: +SKIP
    'lo world'
    """

    def __init__(self, level="char", cell="lstm", hidden_size=128, num_layers=1, embedding_dim=32, tbptt_steps=64,
                 batch_size=32, max_epochs=10, learning_rate=3e-3, optimizer="adam", clip_norm=1.0, lowercase=False,
                 min_freq=1, max_vocab=None, random_state=None, n_jobs=None, device="cpu", dtype="float32", verbose=0):
        self.level = level
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.embedding_dim = embedding_dim
        self.tbptt_steps = tbptt_steps
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.clip_norm = clip_norm
        self.lowercase = lowercase
        self.min_freq = min_freq
        self.max_vocab = max_vocab
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.dtype = dtype
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _check_params(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell={self.cell!r} is not supported; choose one of {sorted(CELLS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r} is not supported; choose one of {list(OPTIMIZERS)}")
        for name in ("hidden_size", "num_layers", "embedding_dim", "tbptt_steps", "batch_size", "max_epochs"):
            check_int(name, getattr(self, name))
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning_rate must be a positive number, got {lr!r}")
        if self.clip_norm is not None and not (isinstance(self.clip_norm, numbers.Real) and self.clip_norm > 0):
            raise ValueError(f"clip_norm must be a positive number or None, got {self.clip_norm!r}")
        resolve_n_jobs(self.n_jobs)
        check_option("device", self.device, DEVICES)
        check_device(self.device)  # "cuda" without a usable GPU: DeviceUnavailableError saying why
        return resolve_dtype(self.dtype)

    @staticmethod
    def _texts(texts, what="texts"):
        if isinstance(texts, str):
            texts = [texts]
        try:
            texts = list(texts)
        except TypeError:
            raise TypeError(f"{what} must be a str or a list of str, got {type(texts).__name__}") from None
        if not texts:
            raise ValueError(f"{what} is empty: give at least one non-empty text")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"{what}[{i}] is {type(t).__name__}, not str")
        return texts

    def _encode_texts(self, texts, what):
        tok = self.tokenizer_
        seqs = [tok.encode(t) for t in texts]
        empty = [i for i, s in enumerate(seqs) if not s]
        if empty:
            raise ValueError(f"{what}[{empty[0]}] has no tokens: empty texts cannot be modelled")
        return seqs

    def _encode_prefix(self, prefix):
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
        ids = self.tokenizer_.encode(prefix, unknown="error")  # a clear error for unseen tokens
        return np.array([self._eos] + ids, dtype=np.int64)

    def _network_on_cpu_if_asked(self):
        """``network_``, moved to the CPU first where ``set_params(device="cpu")`` was
        called on a model trained on the GPU (as the estimators do at predict)."""
        net = self.network_
        if self.device == "cpu" and net.spec.device != "cpu":
            net.set_device("cpu")
        return net

    def _run(self, ids, state=None):
        """Logits (T, V) and final state of one id sequence, in chunks, carrying the state."""
        net = self._network_on_cpu_if_asked()
        outs = []
        for s in range(0, ids.shape[0], _EVAL_CHUNK):
            chunk = np.ascontiguousarray(ids[None, s : s + _EVAL_CHUNK])
            lengths = np.full(1, chunk.shape[1], dtype=np.int64)
            outs.append(net.forward(net.embed(chunk), lengths, h0=state, training=False)[0])
            state = net.h_n
        return np.concatenate(outs), state

    # ------------------------------------------------------------------ fit
    def fit(self, texts, y=None):
        """Learn the vocabulary and train on ``texts``.

        Parameters
        ----------
        texts : str or list of str
            Training text(s); none may be empty.
        y : ignored

        Returns
        -------
        self
        """
        dtype = self._check_params()
        texts = self._texts(texts)
        self.tokenizer_ = Tokenizer(self.level, self.lowercase, self.min_freq, self.max_vocab, SPECIALS).fit(texts)
        self._eos = self.tokenizer_.token_to_id_["<eos>"]
        seqs = self._encode_texts(texts, "texts")
        stream = np.concatenate([np.array([self._eos] + s, dtype=np.int64) for s in seqs] + [np.array([self._eos])])
        rng = np.random.default_rng(self.random_state)
        self._build(dtype, int(rng.integers(2**31 - 1)))
        self.loss_curve_ = []
        self.n_iter_ = 0
        with cpu_threads(self.n_jobs), np.errstate(over="ignore", invalid="ignore"):
            try:
                for _ in range(self.max_epochs):
                    self.loss_curve_.append(self._epoch(stream, rng))
                    self.n_iter_ += 1
                    if self.verbose:
                        print(f"epoch {self.n_iter_}: loss={self.loss_curve_[-1]:.4f}", file=sys.stderr)  # as the estimators
            finally:
                self.network_.release_training_buffers()  # scratch arrays, last cache, GPU buffers
        return self

    def _build(self, dtype, seed):
        V = self.tokenizer_.vocab_size
        spec = ModelSpec(cell=self.cell, hidden_size=self.hidden_size, num_layers=self.num_layers, nonlinearity="tanh",
                         dtype=dtype, device=self.device, n_features=self.embedding_dim, n_outputs=V, task="classification",
                         random_state=seed, vocab_size=V, embedding_dim=self.embedding_dim,
                         padding_idx=self.tokenizer_.pad_id_)
        self.network_ = get_head("sequence").initialize(spec)
        self._optimizer = get_optimizer(self.optimizer, lr=self.learning_rate)

    # ------------------------------------------------------------------ model files
    def save(self, path, overwrite=False):
        """Save the fitted model (vocabulary and weights) to one safe file; see :func:`tsrnn.load`."""
        from ..io import save_model

        check_is_fitted(self, "network_")
        save_model(self, path, overwrite=overwrite)

    def _get_state(self):
        params = _params_state(self)
        state = {"params": params, "fitted": {"loss_curve_": [float(v) for v in self.loss_curve_],
                                              "n_iter_": int(self.n_iter_)}}
        # tokens as code points + offsets: a numpy str array drops trailing NUL characters
        tokens = self.tokenizer_.vocab_[len(SPECIALS):]
        codes = np.array([ord(c) for t in tokens for c in t], dtype=np.uint32)
        offsets = np.cumsum([0] + [len(t) for t in tokens]).astype(np.int64)
        return state, {"network.flat_params": self.network_.flat_params, "tokenizer.codepoints": codes,
                       "tokenizer.offsets": offsets}

    @classmethod
    def _from_state(cls, state, arrays):
        lm = cls(**state["params"])
        dtype = lm._check_params()
        vocab = _vocab_from_arrays(arrays)
        lm.tokenizer_ = Tokenizer.from_vocab(list(SPECIALS) + vocab, level=lm.level, lowercase=lm.lowercase,
                                             min_freq=lm.min_freq, max_vocab=lm.max_vocab, specials=SPECIALS)
        lm._eos = lm.tokenizer_.token_to_id_["<eos>"]
        lm._build(dtype, 0)
        params = arrays["network.flat_params"]
        if params.shape != lm.network_.flat_params.shape or params.dtype != lm.network_.flat_params.dtype:
            raise ValueError(f"network.flat_params has shape {params.shape} {params.dtype}, the model needs "
                             f"{lm.network_.flat_params.shape} {lm.network_.flat_params.dtype}")
        if not np.isfinite(params).all():
            raise ValueError("network.flat_params holds NaN or infinite weights")
        lm.network_.flat_params[...] = params
        lm.loss_curve_ = list(state["fitted"]["loss_curve_"])
        lm.n_iter_ = int(state["fitted"]["n_iter_"])
        return lm

    def _epoch(self, stream, rng):
        """One pass of truncated BPTT over ``stream``; returns the mean loss per token."""
        net, k = self.network_, self.tbptt_steps
        loss_fn = get_loss("cross_entropy")
        offset = int(rng.integers(0, min(k, max(1, stream.shape[0] - 2))))
        usable = stream.shape[0] - 1 - offset
        B = max(1, min(self.batch_size, usable // k))
        n_per = usable // B
        if n_per < 1:
            raise ValueError("the training text is too short: it needs at least 2 tokens")
        inputs = stream[offset : offset + B * n_per].reshape(B, n_per)
        targets = stream[offset + 1 : offset + 1 + B * n_per].reshape(B, n_per)
        state = None  # zeros
        total, count = 0.0, 0
        for t in range(0, n_per, k):
            X = np.ascontiguousarray(inputs[:, t : t + k])
            y = targets[:, t : t + k]
            lengths = np.full(B, X.shape[1], dtype=np.int64)
            out = net.forward(net.embed(X), lengths, h0=state, training=True)
            value, dout = loss_fn(out, y)
            net.backward_embedding(net.backward(dout))
            # carry the state to the next chunk as a constant: no gradient crosses the boundary
            state = tuple(s.copy() for s in net.h_n) if isinstance(net.h_n, tuple) else net.h_n.copy()
            norm = clip_grad_norm(net.flat_grad, self.clip_norm) if self.clip_norm else np.linalg.norm(net.flat_grad)
            if not (np.isfinite(value) and np.isfinite(norm)):
                raise TrainingDivergedError(
                    f"training diverged at epoch {self.n_iter_ + 1}: the loss or gradient became NaN or infinite; "
                    f"lower learning_rate (now {self.learning_rate:g})"
                )
            self._optimizer.step(net.flat_params, net.flat_grad)
            total += value * y.size
            count += y.size
        return total / count

    # ------------------------------------------------------------------ inference
    def _next_probs(self, logits, temperature=1.0):
        """Probabilities over the vocabulary from one step's logits, specials excluded."""
        z = logits.astype(np.float64) / temperature
        z[: len(SPECIALS)] = -np.inf
        return softmax(z)

    def predict_next(self, prefix, k=5):
        """The ``k`` most likely next tokens after ``prefix``.

        Parameters
        ----------
        prefix : str
            May be empty (the start of a text). Tokens outside the vocabulary raise ValueError.
        k : int, default=5

        Returns
        -------
        list of (str, float)
            ``(token, probability)``, most likely first (special tokens excluded).
        """
        check_is_fitted(self, "network_")
        check_int("k", k)
        with cpu_threads(self.n_jobs):
            logits, _ = self._run(self._encode_prefix(prefix))
        p = self._next_probs(logits[-1])
        top = np.argsort(-p, kind="stable")[: min(k, p.shape[0] - len(SPECIALS))]
        return [(self.tokenizer_.vocab_[i], float(p[i])) for i in top]

    def generate(self, prefix="", n=100, temperature=1.0, random_state=None):
        """Sample ``n`` tokens after ``prefix``, one step at a time.

        The prefix is read once; each new token is fed with the carried hidden state
        (the prefix is never re-run).

        Parameters
        ----------
        prefix : str, default=""
        n : int, default=100
            Tokens to generate.
        temperature : float, default=1.0
            Softmax temperature (> 0); 0 picks the most likely token (greedy).
        random_state : int, Generator or None
            Same seed, same text.

        Returns
        -------
        str
            The generated continuation (without the prefix); words are joined by spaces.
        """
        check_is_fitted(self, "network_")
        check_int("n", n, low=0)
        if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not temperature >= 0:
            raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
        rng = np.random.default_rng(random_state)
        net = self.network_
        out = []
        one = np.ones(1, dtype=np.int64)
        with cpu_threads(self.n_jobs):
            logits, state = self._run(self._encode_prefix(prefix))
            last = logits[-1]
            for _ in range(n):
                # greedy at 0, and where the scaled logits would overflow (the same limit)
                if temperature == 0 or not math.isfinite(float(np.max(np.abs(last))) / temperature):
                    nxt = int(np.argmax(self._next_probs(last)))
                else:
                    nxt = int(rng.choice(last.shape[0], p=self._next_probs(last, temperature)))
                out.append(nxt)
                last = net.forward(net.embed(np.array([[nxt]], dtype=np.int64)), one, h0=state, training=False)[0, 0]
                state = net.h_n
        return self.tokenizer_.decode(out)

    def _nll(self, texts):
        texts = self._texts(texts)
        total, count = 0.0, 0
        with cpu_threads(self.n_jobs):
            for ids in self._encode_texts(texts, "texts"):
                ids = np.array([self._eos] + ids, dtype=np.int64)
                logits, _ = self._run(ids[:-1])
                logits = logits.astype(np.float64)
                m = logits.max(axis=1, keepdims=True)
                logz = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
                total += float((logz - logits[np.arange(ids.shape[0] - 1), ids[1:]]).sum())
                count += ids.shape[0] - 1
        return total, count

    def perplexity(self, texts):
        """``exp`` of the mean negative log-likelihood per token of ``texts``.

        Every token of each text is predicted from the ones before it (the first from
        the start-of-text state). Tokens outside the vocabulary count as ``<unk>``.

        Parameters
        ----------
        texts : str or list of str

        Returns
        -------
        float
        """
        check_is_fitted(self, "network_")
        total, count = self._nll(texts)
        return math.exp(total / count)

    def score(self, texts, y=None):
        """Mean log-likelihood per token (higher is better): ``-log(perplexity(texts))``."""
        check_is_fitted(self, "network_")
        total, count = self._nll(texts)
        return -total / count


def _vocab_from_arrays(arrays):
    """The tokens of a model file: code points + offsets (or, in older files, a str array)."""
    if "tokenizer.codepoints" not in arrays:
        return [str(t) for t in arrays["tokenizer.vocab"]]
    codes, offsets = arrays["tokenizer.codepoints"], arrays.get("tokenizer.offsets")
    if (offsets is None or codes.ndim != 1 or codes.dtype.kind not in "iu" or offsets.ndim != 1
            or offsets.dtype.kind not in "iu" or offsets.size < 1 or offsets[0] != 0 or offsets[-1] != codes.size
            or (np.diff(offsets) < 1).any() or (codes > 0x10FFFF).any()):
        raise ValueError("tokenizer.codepoints / tokenizer.offsets do not hold a vocabulary")
    text = "".join(map(chr, codes.tolist()))
    return [text[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
