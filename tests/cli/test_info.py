"""``tsrnn info``'s advice about OpenBLAS kernels pinned below what the CPU runs."""

from tsrnn.cli.info import blas_notes

AVX512 = {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}
HASWELL = [{"library": "libscipy_openblas", "architecture": "Haswell"}]


def test_pinned_avx2_kernels_on_an_avx512_cpu_get_a_note():
    (note,) = blas_notes(HASWELL, "Haswell", AVX512)
    assert "OPENBLAS_CORETYPE=Haswell" in note and "half speed" in note


def test_no_note_when_the_kernels_fit_the_cpu_or_nothing_is_pinned():
    assert blas_notes([{"architecture": "SkylakeX"}], "SkylakeX", AVX512) == []
    assert blas_notes(HASWELL, None, AVX512) == []  # OpenBLAS chose them itself
    assert blas_notes(HASWELL, "Haswell", {"avx2", "fma"}) == []  # an AVX2 CPU
    assert blas_notes([{"error": "no scipy"}], "Haswell", AVX512) == []
    assert blas_notes([{"library": "mkl_rt", "architecture": None}], "Haswell", AVX512) == []  # not OpenBLAS


def test_a_closed_pipe_ends_quietly(tsrnn_exe, tmp_path):
    """`tsrnn info --json | head`: the reader left; no error message, the shell's SIGPIPE code."""
    import os
    import subprocess

    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: the first write fails with EPIPE
    try:
        done = subprocess.run([tsrnn_exe, "info", "--json"], cwd=tmp_path,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr == "", (done.returncode, done.stderr)
