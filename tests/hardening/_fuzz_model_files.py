"""Fuzz the model-file loader with a corpus of corrupted and forged files.

Run as a script in a subprocess (a crash of the interpreter shows as a nonzero or negative
return code): ``python _fuzz_model_files.py WORKDIR SENTINEL [N_RANDOM]``. Prints a JSON
summary on the last line; exit code 0 when every file was either refused with
ModelFileError or loaded into a model that predicts finite values / refuses bad input
cleanly, 1 when some other exception escaped.
"""

import copy
import hashlib
import io
import json
import os
import pickle
import struct
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

import tsrnn
from tsrnn.io import ModelFileError
from tsrnn.io.model_file import _checksum

WORK = Path(sys.argv[1])
SENTINEL = sys.argv[2]
N_RANDOM = int(sys.argv[3]) if len(sys.argv) > 3 else 150
RNG = np.random.default_rng(20261125)
RESULTS = {"cases": 0, "refused": 0, "loaded": 0, "problems": []}


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {SENTINEL}",))


def npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def read_arrays(raw):
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    return meta, arrays


def forge(meta, arrays, resign=True):
    """A file from (meta, arrays), with a correct checksum when ``resign``."""
    meta = copy.deepcopy(meta)
    claimed = meta.pop("checksum", None)
    if resign:
        try:
            meta["checksum"] = _checksum(meta, arrays)
        except Exception:  # arrays that cannot even be hashed: keep the old checksum
            meta["checksum"] = claimed
    else:
        meta["checksum"] = claimed
    try:
        header = json.dumps(meta).encode()
    except (TypeError, ValueError, RecursionError):
        header = b"{}"
    return npz_bytes({**arrays, "__meta__": np.frombuffer(header, np.uint8)})


def check(name, raw, probe):
    RESULTS["cases"] += 1
    if os.environ.get("TSRNN_FUZZ_TRACE"):
        print(RESULTS["cases"], name, file=sys.stderr, flush=True)
    path = WORK / f"case{RESULTS['cases']}.tsrnn"
    path.write_bytes(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = tsrnn.load(path)
    except ModelFileError as exc:
        RESULTS["refused"] += 1
        if os.environ.get("TSRNN_FUZZ_TRACE"):
            print("   refused:", str(exc)[:300], file=sys.stderr, flush=True)
        if not str(exc).strip():
            RESULTS["problems"].append(f"{name}: ModelFileError without a message")
        return
    except BaseException as exc:  # noqa: BLE001 - everything else is a finding
        RESULTS["problems"].append(f"{name}: load raised {type(exc).__module__}.{type(exc).__name__}: {str(exc)[:300]}")
        return
    finally:
        if os.environ.get("TSRNN_FUZZ_KEEP") == str(RESULTS["cases"]):
            path.rename(WORK / "kept.tsrnn")
        else:
            path.unlink()
    RESULTS["loaded"] += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = probe(model)
        values = np.asarray(out, dtype=np.float64)
        if not np.isfinite(values).all():
            RESULTS["problems"].append(f"{name}: loaded model predicts NaN/inf")
    except (ValueError, TypeError) as exc:
        if "numba" in str(exc).lower() or type(exc).__module__.startswith("numba"):
            RESULTS["problems"].append(f"{name}: numba error leaked: {str(exc)[:200]}")
    except BaseException as exc:  # noqa: BLE001
        RESULTS["problems"].append(f"{name}: predict after load raised {type(exc).__name__}: {str(exc)[:300]}")


def make_models():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5, 2))
    reg = tsrnn.RNNRegressor(cell="gru", hidden_size=3, max_epochs=1, random_state=0).fit(X, X[:, -1, 0])
    clf = tsrnn.RNNClassifier(cell="lstm", hidden_size=3, max_epochs=1, random_state=0).fit(X, X[:, 0, 0] > 0)
    df = pd.DataFrame({"unique_id": np.repeat(["a", "é"], 20),
                       "ds": np.tile(pd.date_range("2020-01-01", periods=20, freq="D"), 2),
                       "y": rng.normal(size=40).cumsum()})
    fc = tsrnn.RNNForecaster(horizon=2, input_size=4, cell="rnn", hidden_size=3, max_steps=3, random_state=0).fit(df)
    lm = tsrnn.RNNLanguageModel(hidden_size=4, embedding_dim=3, tbptt_steps=8, batch_size=2, max_epochs=1,
                                random_state=0).fit(["hello world", "héllo wörld 日本"])
    local = tsrnn.RNNForecaster(horizon=2, input_size=4, cell="gru", hidden_size=2, max_steps=2, local=True,
                                quantile_levels=[80], random_state=0).fit(df)
    out = {}
    for name, model, probe in [("local quantile forecaster", local, lambda m: m.predict(level=80).iloc[:, 2:]),
                               ("language model", lm, lambda m: [p for _, p in m.predict_next("hel", k=3)]),
                               ("regressor", reg, lambda m: m.predict(X)),
                               ("classifier", clf, lambda m: m.predict_proba(X)),
                               ("forecaster", fc, lambda m: m.predict()["yhat"])]:
        path = WORK / f"{name}.tsrnn"
        model.save(path)
        out[name] = (path.read_bytes(), probe)
    return out


POOL = [None, True, -1, 0, 1, 2**31, 10**12, 10**400 // 10**390, -10**18, 1.5, float("1e308"), "", "x", "lstm",
        "os.system", "__import__('os')", [], [1, 2], {}, {"a": 1}, "float16", "object", "O", "<U3", "../../etc"]


def json_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from json_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from json_paths(v, prefix + (i,))


def set_path(node, path, value):
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def patch_central_size(raw, name, new_size):
    """Rewrite the declared uncompressed size of entry ``name`` (zip bomb / lying header)."""
    raw = bytearray(raw)
    encoded = name.encode()
    for sig, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = 0
        while (i := raw.find(sig, start)) >= 0:
            if raw[i + name_at : i + name_at + len(encoded)] == encoded:
                raw[i + size_at : i + size_at + 4] = struct.pack("<I", new_size)
            start = i + 4
    return bytes(raw)


def npy_entry(shape, dtype="<f8", data=b""):
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + data


def main():
    models = make_models()
    raw0, probe0 = models["regressor"]  # the other kinds: truncations, flips and forged states below
    meta0, arrays0 = read_arrays(raw0)

    # 1. truncations and bit flips of every kind of model file
    for name, (raw, probe) in models.items():
        for cut in sorted({0, 1, 3, 4, 22, 30, 64, len(raw) // 2, len(raw) - 22, len(raw) - 1}
                          | set(RNG.integers(1, len(raw), 10).tolist())):
            check(f"{name} truncated at {cut}", raw[:cut], probe)
        for _ in range(N_RANDOM // 3):
            bad = bytearray(raw)
            for pos in RNG.integers(0, len(raw), RNG.integers(1, 4)):
                bad[pos] ^= 1 << int(RNG.integers(8))
            check(f"{name} bit flips", bytes(bad), probe)
        bad = bytearray(raw)
        start = int(RNG.integers(0, len(raw) - 64))
        bad[start : start + 64] = RNG.integers(0, 256, 64, dtype=np.uint8).tobytes()
        check(f"{name} garbage block", bytes(bad), probe)

    # 2. wrong header JSON
    for header in [b"", b"\xff\xfe", b"not json", b"[]", b"null", b"{\"format\": \"tsrnn-model\"}", b"[" * 100000,
                   json.dumps({**meta0, "format_version": "1"}).encode(), json.dumps({**meta0, "format_version": 2**70}).encode(),
                   json.dumps({**meta0, "class": ["RNNRegressor"]}).encode(), json.dumps({**meta0, "class": None}).encode(),
                   json.dumps({**meta0, "state": "x"}).encode(), b"\"" + b"a" * 10**6 + b"\""]:
        check("bad header", npz_bytes({**arrays0, "__meta__": np.frombuffer(header, np.uint8)}), probe0)
    check("header not uint8", npz_bytes({**arrays0, "__meta__": np.array(["{}"])}), probe0)
    check("header 2-D", npz_bytes({**arrays0, "__meta__": np.frombuffer(json.dumps(meta0).encode(), np.uint8)[None]}), probe0)

    # 3. wrong SHA (content changed, checksum kept) and forged SHA (recomputed)
    for name, (raw, probe) in models.items():
        meta, arrays = read_arrays(raw)
        tampered = copy.deepcopy(meta)
        tampered["state"]["params"]["hidden_size"] = 5
        check(f"{name} wrong sha", forge(tampered, arrays, resign=False), probe)
        paths = [p for p in json_paths(meta["state"]) if p]
        for _ in range(N_RANDOM):
            forged = copy.deepcopy(meta)
            set_path(forged["state"], paths[int(RNG.integers(len(paths)))], POOL[int(RNG.integers(len(POOL)))])
            check(f"{name} forged state", forge(forged, arrays), probe)
        for key in arrays:
            a = arrays[key]
            for label, value in [("shape", np.zeros(a.size + 3, a.dtype) if a.dtype.kind != "U" else np.array(["x"] * (a.size + 1))),
                                 ("dtype int", np.zeros(a.shape, np.int64)), ("dtype str", np.full(a.shape, "z")),
                                 ("float16", np.zeros(a.shape, np.float16)), ("empty", np.zeros(0)),
                                 ("nan", np.full(a.shape, np.nan, a.dtype if a.dtype.kind == "f" else None)),
                                 ("inf", np.full(a.shape, -np.inf, a.dtype if a.dtype.kind == "f" else None)),
                                 ("huge", np.full(a.shape, 1e300)),
                                 ("huge same dtype", np.full(a.shape, 1e30 if a.dtype.kind == "f" else 10**9,
                                                             a.dtype if a.dtype.kind in "fi" else None)), ("2-D", np.zeros((2,) + a.shape)),
                                 ("negative", -np.arange(a.size).reshape(a.shape) * 7)]:
                check(f"{name} forged array {key} ({label})", forge(meta, {**arrays, key: value}), probe)
            rest = {k: v for k, v in arrays.items() if k != key}
            check(f"{name} forged without {key}", forge(meta, rest), probe)

    # 4. pickles: a bare pickle that would run code, an npz with an object array, a .npy
    check("pickle", pickle.dumps(Evil()), probe0)
    check("pickle protocol 0", pickle.dumps(Evil(), protocol=0), probe0)
    buf = io.BytesIO()
    np.save(buf, np.array([Evil()], dtype=object), allow_pickle=True)
    check("npy with a pickled object", buf.getvalue(), probe0)
    check("npy", npz_bytes({})[:0] + _npy(np.zeros(3)), probe0)
    check("npz with object array", npz_bytes({**arrays0, "evil": np.array([Evil()], dtype=object)}), probe0)
    meta_obj = dict(meta0)
    check("forged npz with object array", forge(meta_obj, {**arrays0, "evil": np.array([Evil(), 1], dtype=object)}), probe0)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("__meta__.npy", _npy(np.frombuffer(json.dumps(meta0).encode(), np.uint8)))
        z.writestr("network.flat_params", pickle.dumps(Evil()))
        z.writestr("payload.pkl", pickle.dumps(Evil()))
    check("zip with pickle entries", zbuf.getvalue(), probe0)

    # 5. zip bombs and lying sizes
    for shape, data in [((10**12,), b""), ((2**40, 2**40), b""), ((3,), b"\0" * 8), ((-1,), b""), ((10**8,), b"\0" * 64)]:
        zbuf = io.BytesIO()
        with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("__meta__.npy", _npy(np.frombuffer(json.dumps(meta0).encode(), np.uint8)))
            z.writestr("network.flat_params.npy", npy_entry(shape, data=data))
        check(f"declared shape {shape}", zbuf.getvalue(), probe0)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("__meta__.npy", _npy(np.frombuffer(json.dumps(meta0).encode(), np.uint8)))
        z.writestr("bomb.npy", npy_entry((64 * 2**20,), "|u1", b"\0" * (64 * 2**20)))
    bomb = zbuf.getvalue()
    check("64 MiB zip bomb (a few KiB on disk)", bomb, probe0)
    check("zip bomb, declared 3.9 GB", patch_central_size(bomb, "bomb.npy", 3_900_000_000), probe0)
    import tsrnn._memory as memory

    real = memory.available_memory
    memory.available_memory = lambda: 16 * 2**20  # a small machine: the bomb must not be decompressed
    try:
        check("zip bomb on a machine with 16 MiB free", bomb, probe0)
    finally:
        memory.available_memory = real
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        for i in range(10_001):
            z.writestr(f"a{i}.npy", _npy(np.zeros(1)))
    check("10001 entries", zbuf.getvalue(), probe0)
    zbuf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(zbuf, "w") as z:
            z.writestr("__meta__.npy", _npy(np.frombuffer(json.dumps(meta0).encode(), np.uint8)))
            z.writestr("__meta__.npy", _npy(np.frombuffer(b"{}", np.uint8)))
    check("duplicate entries", zbuf.getvalue(), probe0)
    check("a foreign zip", _zip_with("hello.txt", b"hi"), probe0)
    check("an empty file", b"", probe0)
    check("random bytes", RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes(), probe0)
    check("PK magic then garbage", b"PK\x03\x04" + RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes(), probe0)
    check("sha collision-free: checksum is not hex", forge({**meta0}, arrays0, resign=False).replace(
        meta0["checksum"].encode(), hashlib.md5(b"x").hexdigest().encode() * 2), probe0)

    RESULTS["sentinel_created"] = os.path.exists(SENTINEL)
    print(json.dumps(RESULTS))
    return 1 if RESULTS["problems"] or RESULTS["sentinel_created"] else 0


def _npy(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _zip_with(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    return buf.getvalue()


if __name__ == "__main__":
    sys.exit(main())
