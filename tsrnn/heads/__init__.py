"""Task heads: how a task's inputs become outputs through recurrent cells.

Built in: ``"last"`` (seq2vec), ``"sequence"`` (aligned seq2seq), ``"vec2seq"`` and
``"encoder_decoder"``. Add your own with :func:`register` or the ``tsrnn.heads``
entry-point group.
"""

from .base import Head, ModelSpec
from .encoder_decoder import EncoderDecoderHead
from .registry import HEADS, available_heads, get_head, register
from .sequence_to_sequence import SequenceHead
from .sequence_to_vector import LastStepHead
from .vector_to_sequence import Vec2SeqHead

for _cls in (LastStepHead, SequenceHead, Vec2SeqHead, EncoderDecoderHead):
    register(_cls.name)(_cls)

__all__ = [
    "Head", "ModelSpec", "register", "get_head", "available_heads", "HEADS",
    "LastStepHead", "SequenceHead", "Vec2SeqHead", "EncoderDecoderHead",
]
