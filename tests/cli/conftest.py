import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tsrnn_exe():
    return shutil.which("tsrnn") or str(Path(sys.executable).with_name("tsrnn"))


@pytest.fixture
def run_cli(tsrnn_exe, tmp_path):
    """Run the installed console script in tmp_path; returns CompletedProcess."""

    def run(*args, timeout=600):
        return subprocess.run([tsrnn_exe, *map(str, args)], capture_output=True, text=True, cwd=tmp_path,
                              timeout=timeout)

    return run
