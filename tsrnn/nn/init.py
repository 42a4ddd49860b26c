"""Weight initialisation for recurrent layers.

Input weights are Glorot-uniform per gate block, recurrent weights orthogonal per
gate block (or the identity, for IRNN-style relu networks), biases zero except the
LSTM forget gate, whose bias starts at 1 so early training does not forget.
"""

import numpy as np


def as_generator(random_state):
    """A :class:`numpy.random.Generator` from None, an int, a Generator or a RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise TypeError(
        f"random_state must be None, an int, a numpy Generator or RandomState; got {type(random_state).__name__}"
    )


def glorot_uniform(rng, fan_out, fan_in):
    """Array of shape (fan_out, fan_in) drawn from U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))


def orthogonal(rng, n):
    """Random orthogonal matrix of shape (n, n) (QR of a Gaussian, sign-corrected)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


RECURRENT_INITS = {
    "orthogonal": orthogonal,
    "identity": lambda rng, n: np.eye(n),
}


def init_layer(rng, n_gates, input_size, hidden_size, recurrent_init, forget_bias_gate=None):
    """Fresh weights for one layer, PyTorch shapes and gate order.

    Returns
    -------
    w_ih : ndarray of shape (n_gates * hidden_size, input_size)
    w_hh : ndarray of shape (n_gates * hidden_size, hidden_size)
    b_ih, b_hh : ndarray of shape (n_gates * hidden_size,)
    """
    H = hidden_size
    w_ih = np.concatenate([glorot_uniform(rng, H, input_size) for _ in range(n_gates)])
    w_hh = np.concatenate([RECURRENT_INITS[recurrent_init](rng, H) for _ in range(n_gates)])
    b_ih = np.zeros(n_gates * H)
    b_hh = np.zeros(n_gates * H)
    if forget_bias_gate is not None:
        b_ih[forget_bias_gate * H : (forget_bias_gate + 1) * H] = 1.0
    return w_ih, w_hh, b_ih, b_hh
