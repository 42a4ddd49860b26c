"""Where a ``Recurrent`` runs: the ``device`` option and the CUDA glue.

``device="cpu"`` (default) never imports anything from here but :data:`DEVICES` and
:func:`check_device`; the CUDA modules (``tsrnn.kernels.cuda.*``, ``numba.cuda``) are
imported only when a network actually runs, or is asked to run, on ``"cuda"``.

Data movement on ``"cuda"`` (what still round-trips): each ``forward`` copies X,
lengths and the initial states to the device and Y and the final states back; the
layer caches stay on the device until ``backward``, which copies dY / dh_n in and dX,
dh0 and the parameter gradients back (into ``flat_grad``). The weights are uploaded
only when ``flat_params`` changed since the last upload (compared on the host), so
repeated inference with fixed weights uploads them once.
"""

import numpy as np

DEVICES = ("cpu", "cuda", "auto")

# device="auto" runs a forward/backward on the GPU only when the batch has at least this
# many sequences (smaller ones stay on the CPU, where launch and copy overheads do not
# exist). Measured with benchmarks/bench_gpu.py's crossover sweep (LSTM training step,
# 48 steps, hidden 64, public API; NVIDIA H200 vs 16 CPU cores, 2026-12-04): the CPU
# wins at 16 sequences (2.1 vs 3.8 ms), the GPU from 64 (3.5 vs 4.9 ms; 256: 5.7 vs 13.8).
CUDA_AUTO_MIN_BATCH = 64


def check_device(device):
    """Validate a ``device`` value: unknown -> ValueError; "cuda" without a usable GPU ->
    :class:`~tsrnn.exceptions.DeviceUnavailableError` naming the reason."""
    if not isinstance(device, str) or device not in DEVICES:
        raise ValueError(f"device={device!r} is not supported; choose one of {list(DEVICES)}")
    if device == "cuda":
        from ..kernels.cuda.device import require_cuda

        require_cuda()
    return device


def use_cuda(device, batch_size):
    """Whether a pass over ``batch_size`` sequences runs on the GPU for this ``device``."""
    if device == "cpu":
        return False
    if device == "cuda":
        check_device(device)  # raises with the reason when the GPU went away (e.g. unpickled elsewhere)
        return True
    if batch_size < CUDA_AUTO_MIN_BATCH:
        return False
    from ..kernels.cuda.device import cuda_status, simulator_enabled

    return bool(cuda_status()[0]) and not simulator_enabled()


def release_buffers(net):
    """Free the training buffers a network holds on the GPU (after a fit: a fitted
    model keeps only its weights there)."""
    net.__dict__.pop("_cuda_ws", None)


class CudaCaches(list):
    """The per-layer forward caches of a pass that ran on the GPU (device arrays)."""


def _device_weights(net, cl):
    """Per-layer :class:`~tsrnn.kernels.cuda.layers.DeviceWeights`, re-uploaded only when
    ``net.flat_params`` differs from what was uploaded last."""
    held = getattr(net, "_dev_weights", None)
    if held is not None and held[0].shape == net.flat_params.shape and np.array_equal(held[0], net.flat_params):
        return held[1]
    dws = [cl.prepare_weights(net.cell, *net._layer(k, net.weights)) for k in range(net.num_layers)]
    net._dev_weights = (net.flat_params.copy(), dws)
    return dws


def _workspaces(net, cl, training=True):
    """One :class:`~tsrnn.kernels.cuda.layers.Workspace` per layer plus one for the
    uploads, kept on the network: every training pass reuses the device buffers of the
    last one (a new training forward replaces the previous pass's cache anyway).
    Inference passes get None (fresh buffers): predictions may run in several threads
    at once on one fitted model, and must not share buffers."""
    if not training:
        return [None] * (net.num_layers + 1)
    held = getattr(net, "_cuda_ws", None)
    if held is None or len(held) != net.num_layers + 1:
        held = [cl.Workspace() for _ in range(net.num_layers + 1)]
        net._cuda_ws = held
    return held


def forward_cuda(net, X, h0, c0, lengths, training, return_sequences=True):
    """``Recurrent.forward`` on the GPU; returns ``(Y, h_n, c_n, caches)`` (host arrays,
    ``Y`` None unless ``return_sequences``; caches on the device, None when not training)."""
    from ..kernels.cuda import layers as cl

    ops = cl.LAYERS[net.cell]
    dws = _device_weights(net, cl)
    wss = _workspaces(net, cl, training)
    io = wss[-1]
    B = X.shape[0]
    h_n = np.empty((net.num_layers, B, net.hidden_size), net.dtype)
    c_n = np.empty_like(h_n) if c0 is not None else None
    d_h0 = cl.upload(h0, io, "h0")
    d_c0 = cl.upload(c0, io, "c0") if c0 is not None else None
    d_len = cl.upload(lengths, io, "lengths")
    x = cl.upload(X, io, "X")
    caches = CudaCaches()
    for k in range(net.num_layers):
        w_ih, w_hh, b_ih, b_hh = net._layer(k, net.weights)
        x, hk, ck, cache = ops.forward(
            x, w_ih, w_hh, b_ih, b_hh, d_h0[k], None if d_c0 is None else d_c0[k], d_len, net.nonlinearity,
            need_cache=training, dev_weights=dws[k], ws=wss[k],
        )
        h_n[k] = hk.copy_to_host()
        if c_n is not None:
            c_n[k] = ck.copy_to_host()
        caches.append(cache)
    Y = x.copy_to_host() if return_sequences else None
    return Y, h_n, c_n, (caches if training else None)


def backward_cuda(net, caches, dY, dh_n, dc_n, need_input_grad=True, steps=None):
    """``Recurrent.backward`` on the GPU from :func:`forward_cuda`'s caches; writes the
    parameter gradients into ``net.grads`` and returns ``(dX, dh0, dc0)`` (host; ``dX``
    None unless ``need_input_grad``). ``dY`` None = zeros of ``steps`` steps, made on the
    device."""
    from ..kernels.cuda import layers as cl

    ops = cl.LAYERS[net.cell]
    wss = _workspaces(net, cl)
    io = wss[-1]
    dh0 = np.empty_like(dh_n)
    dc0 = np.empty_like(dc_n) if dc_n is not None else None
    d_dhn = cl.upload(dh_n, io, "dh_n")
    d_dcn = cl.upload(dc_n, io, "dc_n") if dc_n is not None else None
    if dY is None:
        dy = cl.zeros(io, "dY", (dh_n.shape[1], steps, net.hidden_size), net.dtype)
    else:
        dy = cl.upload(dY, io, "dY")
    for k in range(net.num_layers - 1, -1, -1):
        w_ih, w_hh, _, _ = net._layer(k, net.weights)
        dy, dh0_k, dc0_k = ops.backward(
            dy, d_dhn[k], None if d_dcn is None else d_dcn[k], caches[k], w_ih, w_hh,
            net._layer(k, net.grads), net.nonlinearity, need_dx=k > 0 or need_input_grad, ws=wss[k],
        )
        dh0[k] = dh0_k.copy_to_host()
        if dc0 is not None:
            dc0[k] = dc0_k.copy_to_host()
    return (dy.copy_to_host() if need_input_grad else None), dh0, dc0
