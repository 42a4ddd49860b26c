"""The ``tsrnn`` command line (installed as ``tsrnn.cli``)."""
