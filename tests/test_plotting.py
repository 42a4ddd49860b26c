"""plot_forecast returns a Figure with one axes per series, without pyplot."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tsrnn.plotting import plot_forecast


def _frames(n_series, h=4, cutoffs=False):
    hist, fc = [], []
    for k in range(n_series):
        ds = pd.date_range("2000-01-01", periods=20, freq="MS")
        hist.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": np.arange(20.0) + k}))
        fds = pd.date_range("2001-09-01", periods=h, freq="MS")
        f = pd.DataFrame({"unique_id": f"s{k}", "ds": fds, "yhat": 20.0 + k + np.arange(h)})
        f["yhat-lo-80"], f["yhat-hi-80"] = f.yhat - 1, f.yhat + 1
        f["yhat-lo-95"], f["yhat-hi-95"] = f.yhat - 2, f.yhat + 2
        if cutoffs:
            f["cutoff"] = pd.Timestamp("2001-08-01")
        fc.append(f)
    return pd.concat(hist, ignore_index=True), pd.concat(fc, ignore_index=True)


@pytest.mark.parametrize("n_series,ncols,grid", [(1, None, 1), (3, None, 3), (5, 2, 6), (6, 4, 8)])
def test_one_axes_per_series(n_series, ncols, grid):
    from matplotlib.figure import Figure

    hist, fc = _frames(n_series)
    fig = plot_forecast(hist, fc, ncols=ncols)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_series
    assert fig.axes[0].get_title() == "s0"
    # history, forecast and two interval bands on each axes
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[0].collections) == 2


def test_cutoffs_drawn_and_history_only():
    hist, fc = _frames(2, cutoffs=True)
    fig = plot_forecast(hist, fc, max_history=10)
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # history, forecast, cutoff line
    assert len(ax.lines[0].get_xdata()) == 10
    fig = plot_forecast(hist)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 1


def test_select_ids_and_max_series():
    hist, fc = _frames(5)
    assert len(plot_forecast(hist, fc, ids=["s3"]).axes) == 1
    assert len(plot_forecast(hist, fc, max_series=2).axes) == 2
    with pytest.raises(ValueError, match="not in history_df"):
        plot_forecast(hist, fc, ids=["zz"])
    with pytest.raises(ValueError, match="missing column"):
        plot_forecast(hist.drop(columns="y"), fc)


def test_savefig_without_pyplot(tmp_path):
    hist, fc = _frames(2)
    fig = plot_forecast(hist, fc, title="demo")
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0


def test_no_pyplot_and_backend_untouched():
    code = (
        "import sys, matplotlib, pandas as pd, numpy as np\n"
        "before = matplotlib.get_backend() if 'matplotlib.pyplot' in sys.modules else None\n"
        "from tsrnn.plotting import plot_forecast\n"
        "h = pd.DataFrame({'unique_id': 'a', 'ds': np.arange(5), 'y': np.arange(5.0)})\n"
        "plot_forecast(h)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert matplotlib.rcParams._get('backend') is not None\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_one_id_and_bad_sizes():
    hist, fc = _frames(3)
    fig = plot_forecast(hist, fc, ids="s1")  # one id, not its characters
    assert len(fig.axes) == 1
    for kw in ({"max_series": -1}, {"ncols": 0}, {"max_history": -5}):
        with pytest.raises(ValueError, match="must be a positive integer"):
            plot_forecast(hist, fc, **kw)
    with pytest.raises(TypeError, match="history_df must be a long DataFrame"):
        plot_forecast(hist["y"], fc)


def test_frames_read_back_from_csv_plot_like_the_originals(tmp_path):
    """Timestamps and cutoffs as text (a forecast the CLI wrote, read with read_csv)."""
    hist, fc = _frames(2, cutoffs=True)
    fc.to_csv(tmp_path / "fc.csv", index=False)
    hist.to_csv(tmp_path / "hist.csv", index=False)
    text_hist, text_fc = pd.read_csv(tmp_path / "hist.csv"), pd.read_csv(tmp_path / "fc.csv")
    assert pd.api.types.is_string_dtype(text_fc["ds"]) and pd.api.types.is_string_dtype(text_fc["cutoff"])
    for h, f in ((text_hist, text_fc), (hist, text_fc), (text_hist, fc)):
        want, got = plot_forecast(hist, fc).axes[0], plot_forecast(h, f).axes[0]
        assert len(got.lines) == len(want.lines) == 3
        for a, b in zip(got.lines, want.lines):
            np.testing.assert_array_equal(a.get_xdata(), b.get_xdata())


@pytest.mark.parametrize("case, match", [
    ("nan id", r"history_df has missing \(NaN\) values in 'unique_id'"),
    ("text that is not a date", r"forecast_df\['ds'\] holds text that is not a date"),
    ("numbers and datetimes", r"history_df\['ds'\] holds numbers but forecast_df\['ds'\] holds datetimes"),
    ("booleans", r"history_df\['ds'\] must hold datetimes or numbers, got dtype bool"),
])
def test_unplottable_frames_are_named(case, match):
    hist, fc = _frames(1)
    if case == "nan id":
        hist.loc[3, "unique_id"] = np.nan
    elif case == "text that is not a date":
        fc["ds"] = "soon"
    elif case == "numbers and datetimes":
        hist["ds"] = np.arange(len(hist))
    else:
        hist["ds"] = True
    with pytest.raises(ValueError, match=match):
        plot_forecast(hist, fc)


def test_forecasts_that_cannot_be_drawn_are_named():
    hist = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2020-01-01", periods=20, freq="D"),
                         "y": np.arange(20.0)})
    fc = pd.DataFrame({"unique_id": "1", "ds": pd.date_range("2020-01-21", periods=3, freq="D"),
                       "yhat": [20.0, 21, 22], "yhat-lo-80": [19.0, 20, 21], "yhat-hi-80": [21.0, 22, 23]})
    with pytest.warns(UserWarning, match=r"series that history_df does not \('1'\).*differ only in type"):
        fig = plot_forecast(hist, fc)  # silently drew the history alone before
    assert len(fig.axes[0].lines) == 1
    with pytest.raises(TypeError, match="history_df must be a long DataFrame.*got NoneType"):
        plot_forecast(None, fc)
    with pytest.raises(ValueError, match=r"not the upper bound column\(s\) \['yhat-hi-80'\]"):
        plot_forecast(hist, fc.assign(unique_id=1).drop(columns="yhat-hi-80"))
    fig = plot_forecast(hist, fc.assign(unique_id=1))
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 1
    assert type(ax.xaxis.get_major_formatter()).__name__ == "ConciseDateFormatter"  # short, non-overlapping dates
