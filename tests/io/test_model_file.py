"""Model files: exact round trips, refusal of corrupted / tampered / foreign / future files,
no pickle on load, atomic writes that never overwrite by surprise."""

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import tsrnn
from tsrnn import RNNClassifier, RNNRegressor
from tsrnn.io import ModelFileError

FAST = dict(hidden_size=6, max_epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 7, 2))
    return X, rng.normal(size=40)


@pytest.fixture
def saved(tmp_path, data):
    X, y = data
    model = RNNRegressor(cell="lstm", **FAST).fit(X, y)
    path = tmp_path / "model.tsrnn"
    model.save(path)
    return model, path


CASES = [
    (RNNRegressor, dict(cell="lstm"), "vector"),
    (RNNRegressor, dict(cell="gru", head="sequence"), "sequence"),
    (RNNRegressor, dict(cell="rnn", head="encoder_decoder", dtype="float64"), "enc"),
    (RNNRegressor, dict(cell="gru", head="vec2seq"), "vec"),
    (RNNClassifier, dict(cell="gru", head_params={"pooling": "max"}), "labels"),
]


@pytest.mark.parametrize("Est,params,kind", CASES)
def test_round_trip_predicts_identically(Est, params, kind, data, tmp_path):
    X, y = data
    if kind == "sequence":
        y = np.cumsum(X[:, :, 0], axis=1)
    elif kind == "enc":
        y = X[:, :3, :]
    elif kind == "vec":
        X, y = X[:, 0, :], X[:, :4, 0]
    elif kind == "labels":
        y = np.where(y > 0, "up", "down")
    model = Est(**(FAST | params)).fit(X, y)
    path = tmp_path / "m.tsrnn"
    model.save(path)
    loaded = tsrnn.load(path)
    assert type(loaded) is Est
    assert loaded.get_params() == model.get_params()
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert loaded.loss_curve_ == model.loss_curve_
    # training continues from the saved optimizer state exactly as the original does
    model.set_params(warm_start=True, max_epochs=1).fit(X, y)
    loaded.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert np.array_equal(loaded.network_.flat_params, model.network_.flat_params)


def test_no_overwrite_without_permission(saved, data):
    model, path = saved
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(path)
    assert path.read_bytes() == before
    model.save(path, overwrite=True)
    assert [p.name for p in path.parent.iterdir()] == ["model.tsrnn"]  # no temp files left


def test_flipped_byte_is_refused(saved):
    _, path = saved
    raw = bytearray(path.read_bytes())
    for offset in (len(raw) // 3, len(raw) // 2, len(raw) - 30):
        bad = raw.copy()
        bad[offset] ^= 0xFF
        path.write_bytes(bytes(bad))
        with pytest.raises(ModelFileError):
            tsrnn.load(path)


def test_truncated_file_is_refused(saved):
    _, path = saved
    path.write_bytes(path.read_bytes()[: 200])
    with pytest.raises(ModelFileError, match="not a readable"):
        tsrnn.load(path)


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/tsrnn-pwned",))


def test_pickle_renamed_is_refused_and_never_executed(tmp_path):
    marker = "/tmp/tsrnn-pwned"
    if os.path.exists(marker):
        os.remove(marker)
    path = tmp_path / "evil.tsrnn"
    path.write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ModelFileError):
        tsrnn.load(path)
    # an npz whose entry is an object array (a pickle inside) is refused too
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.frombuffer(b"{}", np.uint8), evil=np.array([_Boom()], dtype=object))
    path.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError):
        tsrnn.load(path)
    assert not os.path.exists(marker)


def _rewrite(path, edit_meta=None, edit_arrays=None):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    if edit_meta:
        edit_meta(meta)
    if edit_arrays:
        edit_arrays(arrays)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_tampered_weights_are_refused(saved):
    _, path = saved

    def edit(arrays):
        arrays["network.flat_params"] = arrays["network.flat_params"] + 1

    _rewrite(path, edit_arrays=edit)
    with pytest.raises(ModelFileError, match="checksum"):
        tsrnn.load(path)


def test_future_format_is_refused(saved):
    _, path = saved
    _rewrite(path, edit_meta=lambda m: m.update(format_version=99))
    with pytest.raises(ModelFileError, match="newer"):
        tsrnn.load(path)


def test_unknown_class_and_foreign_zip(saved, tmp_path):
    _, path = saved
    _rewrite(path, edit_meta=lambda m: m.update({"class": "os.system"}))
    with pytest.raises(ModelFileError):
        tsrnn.load(path)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelFileError):
        tsrnn.load(other)
    with pytest.raises(FileNotFoundError):
        tsrnn.load(tmp_path / "missing.tsrnn")


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RNNRegressor().save(tmp_path / "x.tsrnn")


def test_written_files_get_the_usual_permissions(saved, tmp_path):
    import stat

    _, path = saved
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    os.chmod(path, 0o640)
    tsrnn.load(path).save(path, overwrite=True)  # replacing keeps the file's own mode
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_progress_without_tqdm_prints_about_ten_lines(monkeypatch, capsys, data):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    X, y = data
    RNNRegressor(cell="gru", hidden_size=4, max_epochs=40, patience=100, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().err.strip().splitlines()
    assert 5 <= len(lines) <= 11 and lines[-1].startswith("epoch 40: loss=")



def test_interrupt_during_a_write_is_delivered_after_it(saved, monkeypatch):
    # An interrupt landing inside zipfile's bookkeeping used to surface as zipfile's
    # ValueError ("Can't close the ZIP file while there is an open writing handle"), which
    # the CLI reported as bad input (exit 2) for a Ctrl-C / SIGTERM. Now the write finishes
    # whole and the interrupt arrives right after it, as a KeyboardInterrupt.
    import signal

    model, path = saved
    original_init = zipfile._ZipWriteFile.__init__
    entries = []

    def init_then_interrupt(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        entries.append(self)
        if len(entries) == 2:
            signal.raise_signal(signal.SIGINT)  # handled at once were it not deferred

    monkeypatch.setattr(zipfile._ZipWriteFile, "__init__", init_then_interrupt)
    # Ctrl-C raises KeyboardInterrupt (a shell starting pytest in the background ignores it)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            model.save(path, overwrite=True)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(entries) > 2  # every entry was written before the interrupt arrived
    monkeypatch.undo()
    assert np.array_equal(tsrnn.load(path).network_.flat_params, model.network_.flat_params)
    assert [p.name for p in path.parent.iterdir()] == ["model.tsrnn"]


@pytest.mark.parametrize("value", [{"offset": None}, {"offset": "not a frequency"}, {"int": 0}, {"int": True},
                                   {"int": 1.5}, {"int": 1, "offset": "D"}, None, "D", {}])
def test_a_forged_series_frequency_is_refused(value):
    from tsrnn.forecasting._persistence import _freq_from_json

    with pytest.raises(ValueError, match="frequency"):
        _freq_from_json(value)


def test_series_frequencies_round_trip():
    from tsrnn.forecasting._persistence import _freq_from_json, _freq_to_json

    assert _freq_from_json(_freq_to_json(3)) == 3
    assert _freq_from_json(_freq_to_json("MS")).freqstr == "MS"


def test_atomic_write_names_the_path_the_user_gave(tmp_path):
    """Not the hidden temporary file: a folder, or a missing parent folder, is named as such."""
    from tsrnn.io import atomic_write_bytes

    with pytest.raises(IsADirectoryError, match="is a folder"):
        atomic_write_bytes(tmp_path, b"x", overwrite=True)
    with pytest.raises(FileNotFoundError, match="folder .*missing.* does not exist"):
        atomic_write_bytes(tmp_path / "missing" / "m.tsrnn", b"x")
    assert list(tmp_path.iterdir()) == []


def test_staged_write_never_replaces_a_file_that_appeared_meanwhile(tmp_path):
    from tsrnn.io import commit_staged, stage_bytes

    target = tmp_path / "out.csv"
    tmp = stage_bytes(target, b"ours")
    target.write_bytes(b"the user's")  # created between the check and the write
    with pytest.raises(FileExistsError, match=r"out.csv exists; pass overwrite=True"):
        commit_staged(tmp, target)
    assert target.read_bytes() == b"the user's" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    commit_staged(stage_bytes(target, b"ours"), target, overwrite=True)
    assert target.read_bytes() == b"ours" and len(list(tmp_path.iterdir())) == 1
    fresh = tmp_path / "new.csv"
    commit_staged(stage_bytes(fresh, b"x"), fresh)
    assert fresh.read_bytes() == b"x" and len(list(tmp_path.iterdir())) == 2
    with pytest.raises(FileNotFoundError, match=r"cannot write .*missing.*m.csv"):  # not the temporary file
        stage_bytes(tmp_path / "missing" / "m.csv", b"x")
