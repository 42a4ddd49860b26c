"""Fit and predict in a fresh process (run as a script); prints a JSON line with the
predictions and how the kernels were obtained (loaded from the Numba cache or compiled)."""

import json

import numpy as np

from tsrnn import RNNRegressor
from tsrnn.kernels.cache import cache_stats


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 10, 2)).astype(np.float32)
    model = RNNRegressor(cell="rnn", hidden_size=8, max_epochs=3, random_state=0).fit(X, X[:, -1, 0])
    stats = cache_stats()
    cache_dir = stats.pop("cache_dir")
    print(json.dumps({"pred": model.predict(X).tolist(), "cache_dir": cache_dir,
                      "loaded": sum(v["loaded"] for v in stats.values()),
                      "compiled": sum(v["compiled"] for v in stats.values())}))


if __name__ == "__main__":
    main()
