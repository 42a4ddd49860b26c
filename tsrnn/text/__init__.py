"""Text and token sequences: a character/word :class:`Tokenizer` and the
:class:`RNNLanguageModel` (next-token prediction with truncated BPTT).

Any estimator takes token input with ``embedding_dim`` set, e.g.::

    tok = Tokenizer("word").fit(texts)
    ids, lengths = tok.encode_batch(texts)
    RNNClassifier(embedding_dim=16, vocab_size=tok.vocab_size).fit(ids, labels)
"""

from ..io import register_model_class
from .language_model import RNNLanguageModel
from .tokenizer import Tokenizer

register_model_class(RNNLanguageModel)

__all__ = ["Tokenizer", "RNNLanguageModel"]
