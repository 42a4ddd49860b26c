"""Encoder-decoder: translate human-written dates to ISO 8601, character by character.

"March 5, 2021", "5 Mar 2021", "05.03.2021", "Friday 5 March 2021" ... -> "2021-03-05".
Input characters are token ids (``embedding_dim``); the output is one class (an ISO
character) per output step, so this is ``RNNClassifier(head="encoder_decoder")``: the
encoder reads the whole string, its final state starts the decoder, which emits the
10 output characters feeding back its previous one.

Run: ``python examples/date_translation.py``
"""

import datetime

import numpy as np

from tsrnn import RNNClassifier
from tsrnn.text import Tokenizer

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FORMATS = [
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1][:3].lower()} {d.day:02d} {d.year % 100:02d}",
]
START = datetime.date(1950, 1, 1).toordinal()
END = datetime.date(2049, 12, 31).toordinal()


def make_dates(n, rng):
    """n (human string, ISO string) pairs of random dates in 1950-2049, random formats."""
    days = rng.integers(START, END + 1, size=n)
    fmts = rng.integers(0, len(FORMATS), size=n)
    pairs = []
    for o, f in zip(days, fmts):
        d = datetime.date.fromordinal(int(o))
        pairs.append((FORMATS[f](d), d.isoformat()))  # two-digit years mean 1950-2049
    return pairs


def main(n_train=6000, n_test=1000, max_epochs=12, random_state=0):
    rng = np.random.default_rng(random_state)
    train, test = make_dates(n_train, rng), make_dates(n_test, rng)
    test_set = {h for h, _ in test}
    train = [(h, iso) for h, iso in train if h not in test_set]  # held out: no test string seen in training
    src = Tokenizer("char").fit([h for h, _ in train])
    X_train, _ = src.encode_batch([h for h, _ in train])
    X_test, _ = src.encode_batch([h for h, _ in test])
    y_train = np.array([list(iso) for _, iso in train])  # (n, 10) characters: one class per step
    model = RNNClassifier(cell="gru", hidden_size=128, embedding_dim=16, vocab_size=src.vocab_size,
                          head="encoder_decoder", max_epochs=max_epochs, batch_size=64, learning_rate=5e-3,
                          patience=max_epochs, random_state=random_state)
    model.fit(X_train, y_train)
    pred = ["".join(row) for row in model.predict(X_test)]
    accuracy = float(np.mean([p == iso for p, (_, iso) in zip(pred, test)]))
    for (h, iso), p in list(zip(test, pred))[:5]:
        print(f"{h!r:>32} -> {p}  ({'ok' if p == iso else 'expected ' + iso})")
    print(f"exact-string accuracy on {len(test)} held-out dates: {accuracy:.3f}")
    return {"accuracy": accuracy}


if __name__ == "__main__":
    main()
