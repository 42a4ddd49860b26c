"""Run a benchmark script in another interpreter (e.g. the rival's venv) and read its result."""

import json
import os
import subprocess


def run_script_json(python, script, *args):
    """Run ``script`` (source text) with ``python -c`` and one BLAS/OpenMP thread.

    The script reads its arguments from ``sys.argv[1:]`` and prints one JSON object as
    its last line of output, which is returned as a dict.
    """
    res = subprocess.run([python, "-c", script, *map(str, args)], capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1"))
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])
