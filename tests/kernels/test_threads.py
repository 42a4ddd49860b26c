"""n_jobs as the estimators take it (kernels/threads.resolve_n_jobs)."""

import numba
import numpy as np
import pytest

from tsrnn.kernels.threads import resolve_n_jobs


def test_n_jobs_accepts_any_integer_type():
    available = numba.config.NUMBA_NUM_THREADS
    assert resolve_n_jobs(np.int64(1)) == 1 and type(resolve_n_jobs(np.int64(1))) is int
    assert resolve_n_jobs(np.int32(-1)) == available
    assert resolve_n_jobs(10**6) == available
    assert resolve_n_jobs(None) == numba.get_num_threads()
    # as scikit-learn counts: -2 all cores but one (refused before), never fewer than one
    assert resolve_n_jobs(-2) == max(1, available - 1) and resolve_n_jobs(-(10**6)) == 1


@pytest.mark.parametrize("bad", [0, 1.0, True, "2", np.float64(2)])
def test_n_jobs_refuses_other_values(bad):
    with pytest.raises(ValueError, match=r"n_jobs must be None or a non-zero integer \(-1: all cores, -2: all "):
        resolve_n_jobs(bad)
