import os

import numpy as np
import pytest

# Keep BLAS from oversubscribing the 2-core CI machine when numba threads also run.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
