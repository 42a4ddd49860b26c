"""Index-based windows over long-format time series (no copies of the windows).

:func:`build_panel` validates a long DataFrame (``unique_id``, ``ds``, ``y`` and optional
covariates) and packs every series into one contiguous buffer; :func:`window_starts`
lists where each (input_size -> horizon) window starts in it; :class:`WindowBatches`
gathers and scales mini-batches of windows on the fly.
"""

from ._arrays import make_windows
from ._panel import FILL_POLICIES, Panel, build_panel, future_timestamps
from ._scalers import SCALERS, scaled, window_stats
from ._windows import WindowBatches, expanding_stats, future_layout, level_features, window_starts

__all__ = ["Panel", "build_panel", "future_timestamps", "FILL_POLICIES", "SCALERS", "window_stats", "scaled",
           "WindowBatches", "window_starts", "expanding_stats", "level_features", "future_layout",
           "WindowTransformer", "make_windows"]


def __getattr__(name):
    # WindowTransformer subclasses scikit-learn's classes: loaded on first use only.
    if name == "WindowTransformer":
        from ._transformer import WindowTransformer

        return WindowTransformer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
