"""Writes metrics-golden.json: inputs and scikit-learn's values for the metrics in Composer.Metrics.

Run at development time with Debian's python3-sklearn (CI reads the JSON; it needs no Python):
    /usr/bin/python3 tests/Composer.Tests/Golden/make_metrics_golden.py tests/Composer.Tests/Golden/metrics-golden.json
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, f1_score, jaccard_score, log_loss, matthews_corrcoef, precision_score,
                             recall_score, roc_auc_score)

rng = np.random.default_rng(20261203)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


cases = []


def case(name, metric, outputs, targets, expected, batches=3, **args):
    cases.append({
        'name': name, 'metric': metric, 'args': args, 'batches': batches,
        'outputs': np.asarray(outputs, dtype=np.float64).tolist(),
        'outputs_shape': list(np.shape(outputs)),
        'targets': np.asarray(targets).astype(np.int64).ravel().tolist(),
        'targets_shape': list(np.shape(targets)),
        'expected': float(expected),
    })


# Binary: [N, 2] logits, the prediction their argmax and the score the softmax of class 1.
logits = rng.normal(size=(57, 2))
y = rng.integers(0, 2, size=57)
pred = logits.argmax(1)
score = softmax(logits)[:, 1]
case('binary logits f1', 'BinaryF1Score', logits, y, f1_score(y, pred))
case('binary logits precision', 'BinaryPrecision', logits, y, precision_score(y, pred))
case('binary logits recall', 'BinaryRecall', logits, y, recall_score(y, pred))
case('binary logits mcc', 'MatthewsCorrCoef', logits, y, matthews_corrcoef(y, pred), numClasses=2)
case('binary logits auroc', 'BinaryAUROC', logits, y, roc_auc_score(y, score))

# Binary: [N] probabilities rounded to one decimal (ties for the ROC area), threshold 0.5.
probs = np.round(rng.uniform(size=61), 1)
y = rng.integers(0, 2, size=61)
pred = (probs >= 0.5).astype(int)
case('binary probabilities f1', 'BinaryF1Score', probs, y, f1_score(y, pred))
case('binary probabilities recall', 'BinaryRecall', probs, y, recall_score(y, pred))
case('binary probabilities auroc with ties', 'BinaryAUROC', probs, y, roc_auc_score(y, probs))
case('binary probabilities mcc', 'MatthewsCorrCoef', probs, y, matthews_corrcoef(y, pred), numClasses=2)

# Binary: [N] logits, read through a sigmoid, with ignored targets.
raw = rng.normal(scale=2, size=48)
y = rng.integers(0, 2, size=48)
y[[3, 17, 30]] = -100
keep = y != -100
pred = (sigmoid(raw) >= 0.5).astype(int)
case('binary logits 1d with ignore f1', 'BinaryF1Score', raw, y, f1_score(y[keep], pred[keep]))
case('binary logits 1d with ignore auroc', 'BinaryAUROC', raw, y, roc_auc_score(y[keep], sigmoid(raw)[keep]))

# Multiclass, 4 classes; class 3 never a target, but predicted (it counts in macro averages: it has false positives).
logits = rng.normal(size=(83, 4))
logits[:, 3] -= 1.0
y = rng.integers(0, 3, size=83)
pred = logits.argmax(1)
for average in ('macro', 'micro', 'weighted'):
    case(f'multiclass f1 {average}', 'MulticlassF1Score', logits, y, f1_score(y, pred, average=average, zero_division=0),
         numClasses=4, average=average)
    case(f'multiclass precision {average}', 'MulticlassPrecision', logits, y,
         precision_score(y, pred, average=average, zero_division=0), numClasses=4, average=average)
    case(f'multiclass recall {average}', 'MulticlassRecall', logits, y, recall_score(y, pred, average=average, zero_division=0),
         numClasses=4, average=average)
case('multiclass mcc', 'MatthewsCorrCoef', logits, y, matthews_corrcoef(y, pred), numClasses=4)

# Multiclass AUROC, every class present, one-vs-rest macro on the softmax.
logits = rng.normal(size=(90, 3))
y = np.arange(90) % 3
rng.shuffle(y)
case('multiclass auroc ovr macro', 'MulticlassAUROC', logits, y,
     roc_auc_score(y, softmax(logits), multi_class='ovr', average='macro'), numClasses=3)

# Composer's CrossEntropy: the mean over batches of each batch's mean cross entropy (3 equal batches of 10).
logits = rng.normal(size=(30, 5))
y = rng.integers(0, 5, size=30)
per_batch = [log_loss(y[i:i + 10], softmax(logits[i:i + 10]), labels=range(5)) for i in range(0, 30, 10)]
case('cross entropy', 'CrossEntropy', logits, y, np.mean(per_batch))

# Language models: [B, T, V] logits and [B, T] ids with -100 where nothing is predicted; 2 batches of one sequence.
logits = rng.normal(size=(2, 6, 7))
ids = rng.integers(0, 7, size=(2, 6))
ids[0, 4:] = -100
ids[1, 0] = -100
# Every other token's target scores high, so some predictions are right.
for b, t in np.ndindex(2, 6):
    if ids[b, t] >= 0 and t % 2 == 0:
        logits[b, t, ids[b, t]] += 3
keep = ids.ravel() != -100
flat = logits.reshape(-1, 7)[keep]
token_ce = log_loss(ids.ravel()[keep], softmax(flat), labels=range(7))
case('language cross entropy', 'LanguageCrossEntropy', logits, ids, token_ce, batches=2)
case('language perplexity', 'LanguagePerplexity', logits, ids, np.exp(token_ce), batches=2)
case('masked accuracy', 'MaskedAccuracy', logits, ids, accuracy_score(ids.ravel()[keep], flat.argmax(1)), batches=2)

# Segmentation: [N, C, H, W] logits, [N, H, W] classes with -1 ignored; MIoU over all pixels of both batches.
logits = rng.normal(size=(2, 3, 4, 4))
masks = rng.integers(0, 3, size=(2, 4, 4))
masks[0, 0, :2] = -1
keep = masks.ravel() != -1
pred = logits.argmax(1).ravel()[keep]
truth = masks.ravel()[keep]
present = sorted(set(pred) | set(truth))
case('miou', 'MIoU', logits, masks, 100 * jaccard_score(truth, pred, labels=present, average='macro'), batches=2, numClasses=3)

# Composer's Dice, 4 classes and 2 updates; class 3 absent from the first update's targets and predictions (scores 1).
logits = rng.normal(size=(4, 4, 5, 5))
masks = rng.integers(0, 3, size=(4, 5, 5))
logits[:2, 3] = -10
per_update = []
for i in (0, 2):
    p, t = logits[i:i + 2].argmax(1).ravel(), masks[i:i + 2].ravel()
    scores = []
    for c in range(1, 4):
        if (t != c).all():
            scores.append(1.0 if (p != c).all() else 0.0)
        else:
            scores.append(f1_score(t == c, p == c))
    per_update.append(scores)
case('dice', 'Dice', logits, masks, round(float(np.mean(100 * np.mean(per_update, axis=0))), 2), batches=2, numClasses=4)

with open(sys.argv[1], 'w') as f:
    json.dump({'sklearn': sklearn.__version__, 'cases': cases}, f, indent=1)
print(len(cases), 'cases, scikit-learn', sklearn.__version__)
