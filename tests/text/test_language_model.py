"""RNNLanguageModel: truncated BPTT, prediction, generation, perplexity, errors."""

import numpy as np
import pytest

from tsrnn import RNNLanguageModel
from tsrnn.heads import ModelSpec, get_head
from tsrnn.nn import get_loss

TEXT = "the quick brown fox jumps over the lazy dog. " * 30
FAST = dict(hidden_size=32, embedding_dim=8, tbptt_steps=20, batch_size=8, max_epochs=4, learning_rate=1e-2,
            random_state=0)


@pytest.fixture(scope="module")
def lm():
    return RNNLanguageModel(**FAST).fit(TEXT)


def test_learns_repetitive_text(lm):
    assert lm.loss_curve_[-1] < lm.loss_curve_[0]
    assert lm.perplexity(TEXT[:200]) < 4  # 29 distinct characters
    token, p = lm.predict_next("the quick brown fox jumps over the lazy d", k=1)[0]
    assert token == "o" and p > 0.5
    top = lm.predict_next("the", k=3)
    assert len(top) == 3 and all(isinstance(t, str) for t, _ in top)
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_generate_is_reproducible(lm):
    a = lm.generate("the ", n=30, temperature=0.8, random_state=3)
    b = lm.generate("the ", n=30, temperature=0.8, random_state=3)
    assert a == b and len(a) == 30
    assert lm.generate("", n=5, temperature=0) == lm.generate("", n=5, temperature=0)


def test_generation_carries_state_like_a_full_pass(lm):
    """Greedy step-by-step generation equals re-running the whole prefix at every step."""
    greedy = lm.generate("the qu", n=10, temperature=0)
    text = "the qu"
    for _ in range(10):
        text += lm.predict_next(text, k=1)[0][0]
    assert text == "the qu" + greedy


def test_same_seed_same_model():
    a = RNNLanguageModel(**(FAST | {"max_epochs": 1})).fit(TEXT)
    b = RNNLanguageModel(**(FAST | {"max_epochs": 1})).fit(TEXT)
    np.testing.assert_array_equal(a.network_.flat_params, b.network_.flat_params)


def test_tbptt_gradient_stops_at_chunk_boundary():
    """With h0 carried in, the gradient equals that of the chunk alone with h0 as a constant:
    changing the previous chunk changes h0 (so the loss), but nothing flows back into it."""
    spec = ModelSpec(cell="lstm", hidden_size=5, num_layers=1, nonlinearity="tanh", dtype=np.float64, n_features=3,
                     n_outputs=6, task="classification", random_state=0, vocab_size=6, embedding_dim=3, padding_idx=0)
    net = get_head("sequence").initialize(spec)
    rng = np.random.default_rng(0)
    first, second = rng.integers(1, 6, (2, 4)), rng.integers(1, 6, (2, 4))
    y = rng.integers(1, 6, (2, 4))
    L = np.array([4, 4])
    loss = get_loss("cross_entropy")
    net.forward(net.embed(first), L, training=False)
    h0 = tuple(s.copy() for s in net.h_n)
    out = net.forward(net.embed(second), L, h0=h0, training=True)
    _, d = loss(out, y)
    net.backward_embedding(net.backward(d))
    grad = net.flat_grad.copy()
    # The gradient w.r.t. the embedding rows used only in the first chunk is zero
    only_first = sorted(set(first.ravel()) - set(second.ravel()))
    for v in only_first:
        assert np.all(net.embedding.weight_grad[v] == 0)
    # and numerically the chunk loss with h0 frozen has this gradient
    eps = 1e-6
    for i in rng.choice(grad.size, 15, replace=False):
        old = net.flat_params[i]
        net.flat_params[i] = old + eps
        up = loss(net.forward(net.embed(second), L, h0=h0), y)[0]
        net.flat_params[i] = old - eps
        down = loss(net.forward(net.embed(second), L, h0=h0), y)[0]
        net.flat_params[i] = old
        assert abs((up - down) / (2 * eps) - grad[i]) < 1e-6 + 1e-5 * abs(grad[i])


def test_errors(lm):
    with pytest.raises(ValueError, match="empty"):
        RNNLanguageModel(**FAST).fit([])
    with pytest.raises(ValueError, match="no tokens"):
        RNNLanguageModel(**FAST).fit(["abc", ""])
    with pytest.raises(TypeError):
        RNNLanguageModel(**FAST).fit([1, 2])
    with pytest.raises(ValueError, match="tbptt_steps"):
        RNNLanguageModel(**(FAST | {"tbptt_steps": 0})).fit(TEXT)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        lm.predict_next("the Zebra")
    with pytest.raises(ValueError, match="temperature"):
        lm.generate("the", n=3, temperature=-1)
    with pytest.raises(ValueError, match="no tokens"):
        lm.perplexity([""])
    with pytest.raises(Exception, match="not fitted"):
        RNNLanguageModel().perplexity("abc")


def test_word_level():
    texts = ["the cat sat on the mat", "the dog sat on the log"] * 20
    lm = RNNLanguageModel(level="word", **(FAST | {"tbptt_steps": 8})).fit(texts)
    words = lm.generate("the", n=5, random_state=0).split()
    assert len(words) == 5 and set(words) <= set(lm.tokenizer_.vocab_)


@pytest.mark.slow
def test_char_model_on_alice_beats_smoothed_bigram():
    from tsrnn.datasets import load_alice

    text = load_alice()
    cut = int(0.9 * len(text))
    train, test = text[:cut], text[cut:]
    lm = RNNLanguageModel(hidden_size=96, embedding_dim=24, tbptt_steps=64, batch_size=32, max_epochs=2,
                          learning_rate=5e-3, random_state=0).fit(train)
    ppl = lm.perplexity(test)
    # add-0.1 smoothed character bigram on the same ids, each test character predicted from the previous one
    tok = lm.tokenizer_
    eos = tok.token_to_id_["<eos>"]
    a = np.array([eos] + tok.encode(train))
    b = np.array([eos] + tok.encode(test))
    counts = np.full((tok.vocab_size, tok.vocab_size), 0.1)
    np.add.at(counts, (a[:-1], a[1:]), 1)
    probs = counts / counts.sum(axis=1, keepdims=True)
    bigram = float(np.exp(-np.log(probs[b[:-1], b[1:]]).mean()))
    assert ppl < bigram, (ppl, bigram)
    assert lm.generate("Alice ", 50, random_state=7) == lm.generate("Alice ", 50, random_state=7)


def test_model_file_round_trip(lm, tmp_path):
    import tsrnn

    lm.save(tmp_path / "lm.tsrnn")
    loaded = tsrnn.load(tmp_path / "lm.tsrnn")
    assert isinstance(loaded, RNNLanguageModel)
    assert loaded.tokenizer_.vocab_ == lm.tokenizer_.vocab_
    assert loaded.get_params() == lm.get_params()
    assert loaded.generate("the ", 20, random_state=1) == lm.generate("the ", 20, random_state=1)
    assert loaded.perplexity(TEXT[:100]) == lm.perplexity(TEXT[:100])
    with pytest.raises(FileExistsError):
        lm.save(tmp_path / "lm.tsrnn")


def test_vocabularies_with_nul_characters_survive_model_files(tmp_path):
    """numpy str arrays drop trailing NULs: the vocabulary is stored as code points."""
    import tsrnn
    from tsrnn.text import RNNLanguageModel

    char = RNNLanguageModel(level="char", hidden_size=8, max_epochs=1, random_state=0).fit(["ab\x00cd"] * 5)
    char.save(tmp_path / "c.tsrnn")
    again = tsrnn.load(tmp_path / "c.tsrnn")
    assert again.tokenizer_.vocab_ == char.tokenizer_.vocab_
    assert again.perplexity("ab\x00cd") == char.perplexity("ab\x00cd")
    word = RNNLanguageModel(level="word", hidden_size=8, max_epochs=1, random_state=0).fit(["a a\x00 b", "a b a\x00"] * 3)
    word.save(tmp_path / "w.tsrnn")
    assert tsrnn.load(tmp_path / "w.tsrnn").tokenizer_.vocab_ == word.tokenizer_.vocab_


def test_a_vocabulary_of_specials_only_is_refused():
    from tsrnn.text import RNNLanguageModel

    with pytest.raises(ValueError, match="no token occurs min_freq=100 times"):
        RNNLanguageModel(min_freq=100).fit("abcabc")
