"""scikit-learn's estimator checks on small, fast settings."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from tsrnn import RNNClassifier, RNNRegressor

FAST = dict(hidden_size=8, max_epochs=30, batch_size=16, learning_rate=1e-2, random_state=0, dtype="float64")
# The LSTM instances read the last step and train on every sample (no validation split),
# the regressor's defaults before 2026-12-07; the GRU instances keep the estimators'
# defaults (max pooling; early stopping for the regressor). check_regressors_train fits
# a 10-feature tabular set read as 10-step sequences and wants a training R^2 above 0.5:
# the GRU defaults reach 0.51, the LSTM with them 0.30 (early stopping ends it), with the
# last step and all samples 0.60.
FAST32 = dict(FAST, dtype="float32", cell="lstm", early_stopping=False, head_params={"pooling": "last"})

# Checks that cannot pass by design, each with its reason.
EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch training: repeating a sample changes the batches and the number of "
        "optimizer steps, so weighting equals repetition only in expectation (as for "
        "sklearn's SGD-trained MLP)"
    ),
}


# float32 only: a row's result may differ in the last bit (~1e-7) with the rows it shares a
# BLAS call with, which these checks compare at rtol=1e-7. float64 passes them.
FLOAT32_TOLERANCE = {
    name: "float32 BLAS results depend on the batch composition at the 1e-7 level"
    for name in ("check_methods_sample_order_invariance", "check_methods_subset_invariance")
}


def _expected(estimator):
    if estimator.dtype == "float32":
        return EXPECTED_FAILURES | FLOAT32_TOLERANCE
    return EXPECTED_FAILURES


@parametrize_with_checks(
    [RNNRegressor(cell="gru", **FAST), RNNClassifier(cell="gru", **FAST), RNNRegressor(**FAST32), RNNClassifier(**FAST32)],
    expected_failed_checks=_expected,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
