"""Sentence sentiment-style classification on word tokens with RNNClassifier.

A generated labelled set: short reviews built from templates, whose label depends on
word order as well as on words ("not good" is negative, "not bad" is positive,
"good but boring" ends negative): a bag of words cannot get them all right. Words are
encoded with :class:`tsrnn.text.Tokenizer` and looked up in a trainable embedding
(``embedding_dim``); shorter sentences are padded with the ``<pad>`` id 0.

Run: ``python examples/sentiment_classification.py``
"""

import numpy as np

from tsrnn import RNNClassifier
from tsrnn.text import Tokenizer

SUBJECTS = ["the movie", "this film", "the plot", "the acting", "the ending", "the soundtrack", "it", "the cast"]
VERBS = ["was", "is", "seemed", "felt"]
POSITIVE = ["good", "great", "wonderful", "brilliant", "charming", "moving", "fun"]
NEGATIVE = ["bad", "boring", "awful", "dull", "terrible", "weak", "predictable"]
ADVERBS = ["", "really", "quite", "truly", "very"]


def clause(rng):
    """(words, polarity) of '<verb> [not] [adverb] <adjective>'."""
    positive = rng.random() < 0.5
    adj = rng.choice(POSITIVE if positive else NEGATIVE)
    negated = rng.random() < 0.35
    words = [rng.choice(VERBS)] + (["not"] if negated else []) + [w for w in [rng.choice(ADVERBS)] if w] + [adj]
    return words, positive != negated


def make_reviews(n, rng):
    """n (sentence, label) pairs; label 'pos' or 'neg'. With 'but', the second clause decides."""
    texts, labels = [], []
    for _ in range(n):
        words, pol = clause(rng)
        words = [rng.choice(SUBJECTS)] + words
        if rng.random() < 0.4:
            more, pol = clause(rng)
            words += ["but", "it"] + more
        texts.append(" ".join(words))
        labels.append("pos" if pol else "neg")
    return texts, np.array(labels)


def main(n_train=2000, n_test=500, random_state=0):
    rng = np.random.default_rng(random_state)
    train_texts, y_train = make_reviews(n_train, rng)
    test_texts, y_test = make_reviews(n_test, rng)
    tok = Tokenizer("word").fit(train_texts)
    X_train, _ = tok.encode_batch(train_texts)
    X_test, _ = tok.encode_batch(test_texts)
    model = RNNClassifier(cell="gru", hidden_size=32, embedding_dim=16, vocab_size=tok.vocab_size, max_epochs=8,
                          batch_size=32, learning_rate=1e-2, random_state=random_state)
    model.fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    for text, label in zip(test_texts[:4], model.predict(X_test[:4])):
        print(f"{label}: {text}")
    print(f"test accuracy: {accuracy:.3f} (majority class {max(np.mean(y_test == 'pos'), np.mean(y_test == 'neg')):.3f})")
    return {"accuracy": accuracy}


if __name__ == "__main__":
    main()
