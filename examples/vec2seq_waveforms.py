"""vec2seq: generate waveforms from their parameters with RNNRegressor(head="vec2seq").

Each sample is a parameter vector (frequency, phase, amplitude, damping) and its
target the 60-step damped sine ``a * exp(-d t) * sin(2 pi f t + phi)``. The vector sets
the initial state and is fed at every step with the step's position; the network
learns to draw the waveform for parameters it never saw.

Run: ``python examples/vec2seq_waveforms.py``
"""

import numpy as np

from tsrnn import RNNRegressor

T = 60


def waveforms(n, rng):
    """Parameters (n, 4) and waveforms (n, T)."""
    freq = rng.uniform(1.0, 3.0, n)
    phase = rng.uniform(0, np.pi, n)
    amp = rng.uniform(0.5, 1.5, n)
    damp = rng.uniform(0.0, 2.0, n)
    t = np.linspace(0, 1, T)
    y = amp[:, None] * np.exp(-damp[:, None] * t) * np.sin(2 * np.pi * freq[:, None] * t + phase[:, None])
    return np.column_stack([freq, phase, amp, damp]), y


def main(n_train=1000, n_test=200, random_state=0):
    rng = np.random.default_rng(random_state)
    P_train, y_train = waveforms(n_train, rng)
    P_test, y_test = waveforms(n_test, rng)
    mean, std = P_train.mean(axis=0), P_train.std(axis=0)
    model = RNNRegressor(cell="gru", hidden_size=48, head="vec2seq", max_epochs=25, batch_size=32,
                         learning_rate=5e-3, random_state=random_state)
    model.fit((P_train - mean) / std, y_train)
    pred = model.predict((P_test - mean) / std)
    r2 = model.score((P_test - mean) / std, y_test)
    rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
    print(f"held-out waveforms: R^2 {r2:.3f}, RMSE {rmse:.3f} (signal std {y_test.std():.3f})")
    return {"r2": r2, "rmse": rmse}


if __name__ == "__main__":
    main()
