"""``Embedding``: a trainable lookup table from integer token ids to vectors."""

import numpy as np

from .init import as_generator


class Embedding:
    """Token id -> vector lookup whose table lives in a flat parameter array (see :meth:`bind`).

    Parameters
    ----------
    num_embeddings : int
        Vocabulary size: valid ids are ``0 .. num_embeddings - 1``.
    embedding_dim : int
        Length of each vector.
    padding_idx : int or None, default=None
        Id of the padding token: its row starts at zero and never receives a gradient
        (as ``torch.nn.Embedding(padding_idx=...)``).
    dtype : numpy float dtype
    prefix : str
        Prefix of the parameter name (``{prefix}weight`` of shape (num_embeddings, embedding_dim)).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=np.float32, prefix=""):
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if self.num_embeddings < 1 or self.embedding_dim < 1:
            raise ValueError(f"num_embeddings and embedding_dim must be >= 1, got {num_embeddings}, {embedding_dim}")
        if padding_idx is not None and not 0 <= int(padding_idx) < self.num_embeddings:
            raise ValueError(f"padding_idx={padding_idx} must lie in [0, {self.num_embeddings})")
        self.padding_idx = None if padding_idx is None else int(padding_idx)
        self.dtype = np.dtype(dtype).type
        self.prefix = prefix
        self.n_params = self.num_embeddings * self.embedding_dim
        from .._memory import check_parameters

        check_parameters(self.n_params, self.dtype, "an embedding")
        self.bind(np.zeros(self.n_params, self.dtype), np.zeros(self.n_params, self.dtype))
        self._ids = None

    def bind(self, flat_params, flat_grad):
        """Use ``flat_params`` / ``flat_grad`` of shape (n_params,) as storage."""
        self.flat_params, self.flat_grad = flat_params, flat_grad
        self.weight = flat_params.reshape(self.num_embeddings, self.embedding_dim)
        self.weight_grad = flat_grad.reshape(self.num_embeddings, self.embedding_dim)

    @property
    def weights(self):
        return {f"{self.prefix}weight": self.weight}

    def reset_parameters(self, random_state=None):
        """N(0, 1) rows (PyTorch's default), the padding row zero."""
        rng = as_generator(random_state)
        self.weight[...] = rng.standard_normal((self.num_embeddings, self.embedding_dim))
        if self.padding_idx is not None:
            self.weight[self.padding_idx] = 0

    def forward(self, ids):
        """ids : int ndarray of any shape (...,) -> ndarray of shape (..., embedding_dim).

        The ids are assumed valid (the estimators check them); out-of-range ids raise
        numpy's IndexError.
        """
        ids = np.asarray(ids)
        self._ids = ids
        return self.weight[ids]

    def backward(self, dout):
        """dout : ndarray of shape (..., embedding_dim), the gradient w.r.t. the last forward's output.

        The table's gradient is written (not accumulated) into ``weight_grad``: row ``v``
        gets the sum of ``dout`` over the positions whose id is ``v``; the padding row gets zero.
        Returns None (ids have no gradient).
        """
        if self._ids is None:
            raise RuntimeError("backward() needs a forward() first")
        ids = self._ids.reshape(-1)
        d2 = np.asarray(dout).reshape(-1, self.embedding_dim)
        if d2.shape[0] != ids.shape[0]:
            raise ValueError(f"dout has shape {np.shape(dout)}, expected {self._ids.shape + (self.embedding_dim,)}")
        self.weight_grad[...] = 0
        np.add.at(self.weight_grad, ids, d2.astype(self.dtype, copy=False))
        if self.padding_idx is not None:
            self.weight_grad[self.padding_idx] = 0
        return None

    def __getstate__(self):
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "padding_idx": self.padding_idx, "dtype": self.dtype, "prefix": self.prefix,
                "n_params": self.n_params, "flat_params": self.flat_params, "flat_grad": self.flat_grad}

    def __setstate__(self, state):
        flat_params, flat_grad = state.pop("flat_params"), state.pop("flat_grad")
        self.__dict__.update(state)
        self._ids = None
        self.bind(flat_params, flat_grad)

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}, padding_idx={self.padding_idx})"
