"""Entry point of the ``tsrnn`` console script.

Exit codes: 0 success, 2 bad usage or bad input (one-line message on stderr; the
traceback only with ``--debug``), 130 interrupted (Ctrl-C or SIGTERM).
"""

import argparse
import gc
import os
import signal
import sys
import warnings

from . import backtest_cmd, datasets_cmd, forecast_cmd, info, model_cmds, warmup
from ._common import UsageError

COMMANDS = (forecast_cmd, model_cmds, backtest_cmd, datasets_cmd, warmup, info)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tsrnn", description="Recurrent networks for time series, compiled with Numba."
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_tsrnn_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    _accept_debug_after_commands(subparsers)
    return parser


def _accept_debug_after_commands(subparsers):
    """``--debug`` also after a command (``tsrnn forecast ... --debug``, ``tsrnn datasets
    show NAME --debug``), at every level of subcommands."""
    for sub in subparsers.choices.values():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for action in nested:
                _accept_debug_after_commands(action)
        else:
            sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _tsrnn_version():
    import tsrnn

    return tsrnn.__version__


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    interrupted = []  # signals received: an error raised after one is reported as the interrupt

    def interrupt(signum, frame):
        # SIGTERM unwinds like Ctrl-C, so temporary files are removed and no partial output is left.
        interrupted.append(signum)
        raise KeyboardInterrupt

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, interrupt)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when started ignoring Ctrl-C
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)

    def show_warning(message, category, filename, lineno, file=None, line=None):
        # one line, as the errors: the user ran a command, not the Python code that warned
        print(f"tsrnn {args.command}: warning: {' '.join(str(message).split())}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            return args.func(args)
    except BrokenPipeError:  # the reader went away (`tsrnn info --json | head`): stop quietly, as git does
        _silence_stdout()
        return 141
    except (UsageError, ValueError, TypeError, KeyError, OSError, FloatingPointError, MemoryError) as exc:
        # FloatingPointError: tsrnn.TrainingDivergedError (the message says what to change);
        # MemoryError: a request too large for this machine (tsrnn checks before allocating)
        if interrupted:  # a library that turned the KeyboardInterrupt into an error of its own
            print(f"tsrnn {args.command}: interrupted", file=sys.stderr)
            return 130
        if args.debug:
            raise
        message = " ".join(str(exc).split())  # one line, whatever the exception text
        print(f"tsrnn {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tsrnn {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:  # main() may be called in-process (tests, notebooks): leave the handlers as found
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _silence_stdout():
    """Point stdout at /dev/null so that Python's flush at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (in-process callers)
        pass


def console():
    """Console-script wrapper: exit with main()'s code."""
    code = main()
    # The interpreter's last garbage collections walk every object Numba, pandas and
    # matplotlib created (0.3-0.5 s of a 2 s command); frozen objects are skipped.
    # Nothing of ours needs them: outputs are written, closed and renamed by now, and
    # atexit handlers still run.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
