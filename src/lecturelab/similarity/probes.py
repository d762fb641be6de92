"""Evaluating frozen features: a linear probe (logistic regression) and a k-NN monitor.

The linear probe is SimCLR's evaluation protocol (Chen et al. 2020, Sec. 2.3 / Appendix B.6):
a linear classifier on the frozen encoder's features, here scikit-learn's `LogisticRegression`
on standardised features, run on one BLAS thread (on a shared CPU more threads are slower).
The k-NN monitor is Wu et al. (2018)'s weighted vote of the k nearest training features by
cosine similarity, cheap enough to run every epoch.
"""

from __future__ import annotations

import torch
from torch import Tensor


def linear_probe(train: Tensor, y_train: Tensor, test: Tensor, y_test: Tensor, *,
                 max_iter: int = 300, c: float = 1.0) -> float:
    """Test accuracy of a multinomial logistic regression fitted on the training features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        scaler = StandardScaler().fit(train.double().cpu().numpy())
        clf = LogisticRegression(C=c, max_iter=max_iter)
        clf.fit(scaler.transform(train.double().cpu().numpy()), y_train.cpu().numpy())
        predicted = clf.predict(scaler.transform(test.double().cpu().numpy()))
    return float((torch.from_numpy(predicted) == y_test.cpu()).double().mean())


@torch.no_grad()
def knn_accuracy(train: Tensor, y_train: Tensor, test: Tensor, y_test: Tensor, *, k: int = 20,
                 temperature: float = 0.1) -> float:
    """Accuracy of a vote of the k most cosine-similar training features, each weighted by
    exp(similarity / temperature)."""
    a = torch.nn.functional.normalize(test.float(), dim=1)
    b = torch.nn.functional.normalize(train.float(), dim=1)
    classes = int(max(y_train.max(), y_test.max())) + 1
    correct = 0
    for start in range(0, len(a), 1024):
        sim, idx = (a[start:start + 1024] @ b.T).topk(min(k, len(b)), dim=1)  # (q, k)
        votes = torch.zeros(len(sim), classes, device=sim.device)
        votes.scatter_add_(1, y_train[idx], (sim / temperature).exp())
        correct += int((votes.argmax(1) == y_test[start:start + 1024]).sum())
    return correct / len(a)
