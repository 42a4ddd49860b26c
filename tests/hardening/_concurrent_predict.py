"""Predict from several threads at once (run as a script with multi-threaded BLAS).

Prints a JSON line {"mismatches": int, "calls": int}; exit code 0 when every threaded
result equals the serial one bit for bit.
"""

import json
import sys
import threading

import numpy as np
import pandas as pd

from tsrnn import RNNClassifier, RNNForecaster, RNNRegressor


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 16, 3))
    models = [RNNRegressor(cell="lstm", hidden_size=16, max_epochs=2, random_state=0).fit(X, X[:, -1, 0]),
              RNNClassifier(cell="gru", hidden_size=16, max_epochs=2, random_state=0).fit(X, X[:, 0, 0] > 0),
              RNNRegressor(cell="rnn", hidden_size=16, max_epochs=2, random_state=0).fit(X, X[:, -1, 0])]
    df = pd.DataFrame({"unique_id": np.repeat(["a", "b", "c"], 50),
                       "ds": np.tile(pd.date_range("2020-01-01", periods=50, freq="D"), 3),
                       "y": rng.normal(size=150).cumsum()})
    fc = RNNForecaster(horizon=3, input_size=8, cell="gru", hidden_size=8, max_steps=10, random_state=0).fit(df)
    slices = [slice(0, 1), slice(0, 96), slice(5, 40), slice(50, 96), slice(3, 4)]
    jobs = [(m, s) for m in models for s in slices]
    serial = [m.predict(X[s]) for m, s in jobs]
    serial_fc = fc.predict(h=6)
    mismatches, calls = [], [0]
    lock = threading.Lock()
    start = threading.Barrier(int(sys.argv[1]) if len(sys.argv) > 1 else 4)

    def worker(k):
        start.wait()
        for r in range(6):
            for j in np.random.default_rng(k * 100 + r).permutation(len(jobs)):
                m, s = jobs[j]
                out = m.predict(X[s])
                ok = np.array_equal(out, serial[j])
                with lock:
                    calls[0] += 1
                    if not ok:
                        mismatches.append(int(j))
            out = fc.predict(h=6)
            with lock:
                calls[0] += 1
                if not out.equals(serial_fc):
                    mismatches.append(-1)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(start.parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    hung = sum(t.is_alive() for t in threads)
    print(json.dumps({"mismatches": len(mismatches), "calls": calls[0], "hung": hung}))
    return 1 if mismatches or hung else 0


if __name__ == "__main__":
    sys.exit(main())
