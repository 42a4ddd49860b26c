"""Neural-network building blocks on flat parameter arrays: recurrent stacks, losses,
optimizers, gradient clipping, learning-rate schedules and PyTorch interop."""

from .interop import from_torch
from .recurrent import Recurrent

__all__ = ["Recurrent", "from_torch"]
