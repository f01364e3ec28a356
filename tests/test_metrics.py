import numpy as np
from sklearn.metrics import confusion_matrix as sk_cm
from sklearn.metrics import precision_recall_fscore_support

from cnnapp.training.metrics import classification_report, confusion_matrix


def test_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 4, 200)
    p = np.where(rng.random(200) < 0.7, t, rng.integers(0, 4, 200))
    p[p == 3] = 2  # class 3 never predicted: precision must be 0, not NaN
    assert (confusion_matrix(t, p, 4) == sk_cm(t, p, labels=range(4))).all()
    report = classification_report(t, p, ["a", "b", "c", "d"])
    prec, rec, f1, support = precision_recall_fscore_support(t, p, labels=range(4), zero_division=0)
    assert np.allclose([r["precision"] for r in report["per_class"]], prec)
    assert np.allclose([r["recall"] for r in report["per_class"]], rec)
    assert np.allclose([r["f1"] for r in report["per_class"]], f1)
    assert [r["support"] for r in report["per_class"]] == list(support)
    assert report["accuracy"] == (t == p).mean()
    assert np.array(report["confusion_matrix"]).sum() == 200
