"""Character language model on the shipped public-domain text (Alice in Wonderland).

Trains :class:`tsrnn.RNNLanguageModel` (embedding -> LSTM -> softmax over characters,
truncated BPTT over the text as one stream) on the first 90 % of the book, then
compares its held-out perplexity on the last 10 % with an add-alpha smoothed
character bigram model fitted on the same training part, and samples some text.

Run: ``python examples/char_language_model.py``
"""

import numpy as np

from tsrnn import RNNLanguageModel
from tsrnn.datasets import load_alice


def bigram_perplexity(train_ids, test_ids, vocab_size, alpha=0.1):
    """Held-out perplexity of an add-alpha smoothed bigram model (counts from train_ids)."""
    counts = np.full((vocab_size, vocab_size), alpha)
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(np.exp(-np.log(probs[test_ids[:-1], test_ids[1:]]).mean()))


def main(max_epochs=3, random_state=0):
    text = load_alice()
    cut = int(0.9 * len(text))
    train, test = text[:cut], text[cut:]
    lm = RNNLanguageModel(level="char", cell="lstm", hidden_size=128, embedding_dim=32, tbptt_steps=64,
                          batch_size=32, max_epochs=max_epochs, learning_rate=5e-3, random_state=random_state)
    lm.fit(train)
    ppl = lm.perplexity(test)
    tok = lm.tokenizer_
    eos = tok.token_to_id_["<eos>"]  # both models predict each test character from the ones before it
    train_ids = np.array([eos] + tok.encode(train))
    test_ids = np.array([eos] + tok.encode(test))
    bigram = bigram_perplexity(train_ids, test_ids, tok.vocab_size)
    print(f"held-out perplexity: LSTM {ppl:.2f}, smoothed bigram {bigram:.2f} (per character, {tok.vocab_size} ids)")
    print("top next characters after 'Alice was beginning to get very tire':",
          [(t, round(p, 3)) for t, p in lm.predict_next("Alice was beginning to get very tire", k=3)])
    sample = lm.generate("Alice ", n=200, temperature=0.7, random_state=0)
    print("sample:", repr("Alice " + sample))
    return {"perplexity": ppl, "bigram_perplexity": bigram, "sample": sample}


if __name__ == "__main__":
    main()
