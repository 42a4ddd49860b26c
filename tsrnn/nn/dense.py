"""``Dense``: an affine layer ``y = x @ W.T + b`` on any number of leading axes."""

import numpy as np

from ..kernels.cpu.layers import gemm
from .init import as_generator, glorot_uniform


class Dense:
    """Affine layer whose weights live in a flat parameter array (see :meth:`bind`).

    Parameters
    ----------
    in_features, out_features : int
    dtype : numpy float dtype
    prefix : str
        Prefix of the parameter names (``{prefix}weight`` of shape (out, in),
        ``{prefix}bias`` of shape (out,)).
    """

    def __init__(self, in_features, out_features, dtype=np.float32, prefix=""):
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.dtype = np.dtype(dtype).type
        self.prefix = prefix
        self.n_params = self.out_features * (self.in_features + 1)
        from .._memory import check_parameters

        check_parameters(self.n_params, self.dtype, "a dense layer")
        self.bind(np.zeros(self.n_params, self.dtype), np.zeros(self.n_params, self.dtype))
        self._x = None

    def bind(self, flat_params, flat_grad):
        """Use ``flat_params`` / ``flat_grad`` of shape (n_params,) as storage."""
        k = self.out_features * self.in_features
        self.flat_params, self.flat_grad = flat_params, flat_grad
        self.weight = flat_params[:k].reshape(self.out_features, self.in_features)
        self.bias = flat_params[k:]
        self.weight_grad = flat_grad[:k].reshape(self.out_features, self.in_features)
        self.bias_grad = flat_grad[k:]

    @property
    def weights(self):
        return {f"{self.prefix}weight": self.weight, f"{self.prefix}bias": self.bias}

    def reset_parameters(self, random_state=None):
        """Glorot-uniform weight, zero bias."""
        rng = as_generator(random_state)
        self.weight[...] = glorot_uniform(rng, self.out_features, self.in_features)
        self.bias[...] = 0

    def forward(self, x):
        """x : ndarray of shape (..., in_features) -> ndarray of shape (..., out_features)."""
        self._x = x
        out = gemm(x.reshape(-1, self.in_features), self.weight.T)
        out += self.bias
        return out.reshape(x.shape[:-1] + (self.out_features,))

    def backward(self, dout):
        """dout : ndarray of shape (..., out_features) -> dx of shape (..., in_features).

        Weight gradients are written (not accumulated) into ``weight_grad`` / ``bias_grad``.
        """
        x2 = self._x.reshape(-1, self.in_features)
        d2 = dout.reshape(-1, self.out_features)
        gemm(d2.T, x2, self.weight_grad)  # products split by shape only: same bits on any thread count
        self.bias_grad[...] = d2.sum(axis=0)
        return gemm(d2, self.weight).reshape(self._x.shape)

    def __getstate__(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "dtype": self.dtype,
                "prefix": self.prefix, "n_params": self.n_params,
                "flat_params": self.flat_params, "flat_grad": self.flat_grad}

    def __setstate__(self, state):
        flat_params, flat_grad = state.pop("flat_params"), state.pop("flat_grad")
        self.__dict__.update(state)
        self._x = None
        self.bind(flat_params, flat_grad)


def bind_components(components, dtype):
    """Give every component a slice of one flat parameter array and one flat gradient array.

    Parameters
    ----------
    components : list of objects with ``n_params``, ``flat_params`` and ``bind(params, grad)``
    dtype : numpy float dtype

    Returns
    -------
    flat_params, flat_grad : ndarray of shape (sum of n_params,)
        Current parameter values are copied in.
    """
    total = sum(c.n_params for c in components)
    flat_params = np.empty(total, dtype)
    flat_grad = np.zeros(total, dtype)
    offset = 0
    for c in components:
        n = c.n_params
        flat_params[offset : offset + n] = c.flat_params
        c.bind(flat_params[offset : offset + n], flat_grad[offset : offset + n])
        offset += n
    return flat_params, flat_grad
