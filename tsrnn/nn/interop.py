"""PyTorch interop without importing torch: weights move as numpy arrays."""

import warnings

import numpy as np

from .recurrent import Recurrent

_TORCH_CELLS = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def from_torch(module, dtype=None):
    """Build a :class:`Recurrent` holding a copy of a ``torch.nn.RNN/LSTM/GRU``'s weights.

    Parameters
    ----------
    module : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
        Unidirectional, without ``proj_size``. tsrnn is batch first; the weights are
        the same whatever the module's ``batch_first``.
    dtype : {"float32", "float64"}, optional
        Defaults to the module's parameter dtype.

    Returns
    -------
    Recurrent
    """
    kind = type(module).__name__
    if kind not in _TORCH_CELLS:
        raise TypeError(f"from_torch expects torch.nn.RNN, LSTM or GRU, got {kind}")
    if getattr(module, "bidirectional", False):
        raise ValueError("bidirectional modules are not supported")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTM with proj_size > 0 is not supported")
    if getattr(module, "dropout", 0):
        warnings.warn("the module's inter-layer dropout is not copied; tsrnn runs it without dropout", stacklevel=2)
    tensors = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    if dtype is None:
        dtype = str(next(iter(tensors.values())).dtype).removeprefix("torch.")  # float16: refused by Recurrent
    # bfloat16 has no NumPy dtype: widened to float32 first (exactly) when a dtype was chosen
    state = {k: (v.float() if str(v.dtype) == "torch.bfloat16" else v).numpy() for k, v in tensors.items()}
    net = Recurrent(
        _TORCH_CELLS[kind],
        module.input_size,
        module.hidden_size,
        num_layers=module.num_layers,
        nonlinearity=getattr(module, "nonlinearity", "tanh"),
        dtype=dtype,
    )
    if not module.bias:  # torch omits the bias keys; tsrnn keeps zero biases
        for name in net.weights:
            if name.startswith("bias_"):
                state[name] = np.zeros(net.weights[name].shape)
    net.load_state_dict(state)
    return net
