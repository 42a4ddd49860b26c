"""``Tokenizer``: characters or whitespace-separated words <-> integer ids."""

import numbers
from collections import Counter

import numpy as np

LEVELS = ("char", "word")


class Tokenizer:
    """A vocabulary of characters or whitespace words, with padding and unknown tokens.

    Ids ``0 .. len(specials) - 1`` are the special tokens (by default ``0 = "<pad>"``,
    ``1 = "<unk>"``); the other tokens follow by decreasing frequency in :meth:`fit`
    (ties broken alphabetically, so the vocabulary does not depend on text order).

    Parameters
    ----------
    level : {"char", "word"}, default="char"
        Tokens are single characters, or the pieces of ``str.split()`` (whitespace words).
    lowercase : bool, default=False
    min_freq : int, default=1
        Tokens seen fewer times in fit map to ``<unk>``.
    max_vocab : int or None
        Keep at most this many tokens (specials not counted).
    specials : sequence of str, default=("<pad>", "<unk>")
        Special tokens; must contain ``"<pad>"`` and ``"<unk>"``. Extra ones (e.g. an
        end-of-text marker) get the next ids.

    Attributes
    ----------
    vocab_ : list of str
        Token of each id.
    token_to_id_ : dict of str -> int
    pad_id_, unk_id_ : int

    Examples
    --------
    >>> tok = Tokenizer("word").fit(["the cat sat", "the dog"])
    >>> tok.encode("the cat ran")
    [2, 3, 1]
    >>> tok.decode([2, 3, 1])
    'the cat <unk>'
    """

    def __init__(self, level="char", lowercase=False, min_freq=1, max_vocab=None, specials=("<pad>", "<unk>")):
        self.level = level
        self.lowercase = lowercase
        self.min_freq = min_freq
        self.max_vocab = max_vocab
        self.specials = specials

    # ------------------------------------------------------------------ splitting
    def tokenize(self, text):
        """list of str: the tokens of one text (no id lookup)."""
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__}")
        if self.lowercase:
            text = text.lower()
        return list(text) if self.level == "char" else text.split()

    def _check_texts(self, texts):
        if isinstance(texts, str):
            return [texts]
        try:
            texts = list(texts)
        except TypeError:
            raise TypeError(f"texts must be a str or an iterable of str, got {type(texts).__name__}") from None
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] is {type(t).__name__}, not str")
        return texts

    def fit(self, texts):
        """Learn the vocabulary of ``texts`` (a str or an iterable of str)."""
        if self.level not in LEVELS:
            raise ValueError(f"level={self.level!r} is not supported; choose one of {list(LEVELS)}")
        specials = list(self.specials)
        if "<pad>" not in specials or "<unk>" not in specials or len(set(specials)) != len(specials):
            raise ValueError(f"specials must be distinct and contain '<pad>' and '<unk>', got {specials}")
        if not isinstance(self.min_freq, (int, np.integer)) or self.min_freq < 1:
            raise ValueError(f"min_freq must be a positive integer, got {self.min_freq!r}")
        if self.max_vocab is not None and (not isinstance(self.max_vocab, (int, np.integer)) or self.max_vocab < 1):
            raise ValueError(f"max_vocab must be a positive integer or None, got {self.max_vocab!r}")
        texts = self._check_texts(texts)
        counts = Counter()
        for t in texts:
            counts.update(self.tokenize(t))
        if not counts:
            raise ValueError("cannot fit a Tokenizer on empty texts: no tokens found")
        tokens = sorted((tok for tok, c in counts.items() if c >= self.min_freq and tok not in specials),
                        key=lambda tok: (-counts[tok], tok))
        if self.max_vocab is not None:
            tokens = tokens[: self.max_vocab]
        if not tokens:
            raise ValueError(f"no token occurs min_freq={self.min_freq} times (the most frequent occurs "
                             f"{max(counts.values())} times): the vocabulary would hold only {list(specials)}")
        self.vocab_ = specials + tokens
        self.token_to_id_ = {tok: i for i, tok in enumerate(self.vocab_)}
        self.pad_id_ = self.token_to_id_["<pad>"]
        self.unk_id_ = self.token_to_id_["<unk>"]
        return self

    @classmethod
    def from_vocab(cls, vocab, **params):
        """A fitted Tokenizer whose vocabulary is ``vocab`` (list of str, specials first)."""
        tok = cls(**params)
        specials = list(tok.specials)
        vocab = [str(t) for t in vocab]
        if vocab[: len(specials)] != specials or len(set(vocab)) != len(vocab):
            raise ValueError(f"vocab must start with the specials {specials} and hold distinct tokens")
        tok.vocab_ = vocab
        tok.token_to_id_ = {t: i for i, t in enumerate(vocab)}
        tok.pad_id_ = tok.token_to_id_["<pad>"]
        tok.unk_id_ = tok.token_to_id_["<unk>"]
        return tok

    @property
    def vocab_size(self):
        """Number of ids (specials included)."""
        self._check_fitted()
        return len(self.vocab_)

    def _check_fitted(self):
        if not hasattr(self, "vocab_"):
            raise RuntimeError("this Tokenizer is not fitted yet; call fit(texts) first")

    # ------------------------------------------------------------------ ids
    def encode(self, text, unknown="unk"):
        """list of int: ids of one text's tokens.

        Parameters
        ----------
        unknown : {"unk", "error"}, default="unk"
            Map tokens outside the vocabulary to ``<unk>``, or raise ValueError naming them.
            A token that spells a special one (a literal ``<pad>`` word) is outside it: the
            specials' ids mark padding and text boundaries, never text (it was read as padding).
        """
        self._check_fitted()
        if unknown not in ("unk", "error"):
            raise ValueError(f"unknown={unknown!r}; choose 'unk' or 'error'")
        tokens = self.tokenize(text)
        n_special, unk = len(self.specials), self.unk_id_  # the vocabulary starts with the specials
        ids = [self.token_to_id_.get(t, unk) for t in tokens]
        ids = [i if i >= n_special else unk for i in ids]
        if unknown == "error":
            missing = sorted({t for t, i in zip(tokens, ids) if i == unk})
            if missing:
                raise ValueError(f"tokens outside the vocabulary: {missing[:10]}")
        return ids

    def encode_batch(self, texts, max_length=None, unknown="unk"):
        """Padded id array of several texts.

        Parameters
        ----------
        texts : iterable of str
        max_length : int, optional
            Cut texts to their first ``max_length`` tokens (default: the longest text).

        Returns
        -------
        ids : ndarray of shape (n_texts, n_steps), int64
            Shorter texts are padded at the end with ``pad_id_``.
        lengths : ndarray of shape (n_texts,), int64

        Raises
        ------
        ValueError
            When a text has no tokens (an empty text cannot be a sequence).
        """
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, numbers.Integral)
                                       or max_length < 1):
            raise ValueError(f"max_length must be a positive integer or None, got {max_length!r}")
        texts = self._check_texts(texts)
        if not texts:
            raise ValueError("encode_batch needs at least one text")
        seqs = [self.encode(t, unknown) for t in texts]
        empty = [i for i, s in enumerate(seqs) if not s]
        if empty:
            raise ValueError(f"text {empty[0]} has no tokens: empty texts cannot be encoded as sequences")
        if max_length is not None:
            seqs = [s[:max_length] for s in seqs]
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        ids = np.full((len(seqs), int(lengths.max())), self.pad_id_, dtype=np.int64)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
        return ids, lengths

    def decode(self, ids, skip_special=False):
        """str: the text of ``ids`` (characters joined as they are, words with spaces).

        Raises ValueError for ids outside ``[0, vocab_size)``.
        """
        self._check_fitted()
        ids = np.asarray(ids)
        if ids.size and ids.dtype.kind not in "iu":
            raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
        ids = ids.reshape(-1).astype(np.int64)
        bad = ids[(ids < 0) | (ids >= len(self.vocab_))]
        if bad.size:
            raise ValueError(f"id {bad[0]} is outside the vocabulary [0, {len(self.vocab_)})")
        n_special = len(self.specials)
        toks = [self.vocab_[i] for i in ids if not (skip_special and i < n_special)]
        return ("" if self.level == "char" else " ").join(toks)

    def __repr__(self):
        return f"Tokenizer(level={self.level!r}, lowercase={self.lowercase}, min_freq={self.min_freq}, max_vocab={self.max_vocab})"
