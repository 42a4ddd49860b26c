"""Neural-network building blocks on flat parameter arrays: recurrent stacks, losses,
optimizers, gradient clipping, learning-rate schedules and PyTorch interop."""

from .clipping import clip_grad_norm, clip_grad_value
from .interop import from_torch
from .losses import LOSSES, get_loss, softmax
from .optimizers import OPTIMIZERS, get_optimizer
from .recurrent import Recurrent
from .schedules import SCHEDULES, get_schedule

__all__ = [
    "Recurrent",
    "from_torch",
    "LOSSES",
    "get_loss",
    "softmax",
    "OPTIMIZERS",
    "get_optimizer",
    "SCHEDULES",
    "get_schedule",
    "clip_grad_norm",
    "clip_grad_value",
]
