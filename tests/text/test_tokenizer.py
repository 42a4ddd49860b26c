import numpy as np
import pytest

from tsrnn.text import Tokenizer


def test_char_round_trip_and_specials():
    tok = Tokenizer().fit("abracadabra")
    assert tok.vocab_[:2] == ["<pad>", "<unk>"]
    assert tok.vocab_[2] == "a"  # most frequent first
    ids = tok.encode("abc")
    assert tok.decode(ids) == "abc"
    assert tok.encode("abz")[-1] == tok.unk_id_
    assert tok.decode(tok.encode("abz")) == "ab<unk>"
    assert tok.decode(tok.encode("abz"), skip_special=True) == "ab"


def test_words_lowercase_min_freq_max_vocab():
    tok = Tokenizer("word", lowercase=True, min_freq=2).fit(["The cat", "the dog", "a cat"])
    assert set(tok.vocab_[2:]) == {"the", "cat"}
    assert tok.decode(tok.encode("THE cat  sat")) == "the cat <unk>"
    assert Tokenizer("word", max_vocab=1).fit(["b b a"]).vocab_ == ["<pad>", "<unk>", "b"]


def test_encode_batch_pads():
    tok = Tokenizer("word").fit(["a b c", "a"])
    ids, lengths = tok.encode_batch(["a b c", "c"])
    assert ids.shape == (2, 3) and ids.dtype == np.int64
    assert lengths.tolist() == [3, 1]
    assert ids[1, 1:].tolist() == [tok.pad_id_] * 2
    ids, lengths = tok.encode_batch(["a b c", "c"], max_length=np.int64(2))
    assert ids.shape == (2, 2) and lengths.tolist() == [2, 1]
    for bad in (0, -1, 1.5, True):  # -1 cut the last token, 0 gave empty sequences
        with pytest.raises(ValueError, match=f"max_length must be a positive integer or None, got {bad!r}"):
            tok.encode_batch(["a b c", "c"], max_length=bad)


def test_errors():
    tok = Tokenizer("word")
    with pytest.raises(RuntimeError, match="not fitted"):
        tok.encode("a")
    with pytest.raises(ValueError, match="empty"):
        tok.fit(["", "  "])
    with pytest.raises(TypeError):
        tok.fit([1, 2])
    with pytest.raises(ValueError, match="level"):
        Tokenizer("byte").fit("a")
    tok.fit("a b")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.encode("a z", unknown="error")
    with pytest.raises(ValueError, match="no tokens"):
        tok.encode_batch(["a", ""])
    with pytest.raises(ValueError, match="outside"):
        tok.decode([99])
    with pytest.raises(TypeError):
        tok.decode([1.5])


def test_text_that_spells_a_special_token_is_unknown_not_padding():
    tok = Tokenizer("word").fit(["a b <pad> <unk>"])
    assert "<pad>" not in tok.vocab_[2:]
    assert tok.encode("a <pad> b") == [tok.encode("a")[0], tok.unk_id_, tok.encode("b")[0]]  # was pad_id_
    with pytest.raises(ValueError, match=r"outside the vocabulary: \['<pad>'\]"):
        tok.encode("a <pad>", unknown="error")
