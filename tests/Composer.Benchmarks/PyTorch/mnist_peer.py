"""The end-to-end benchmark's workload as a plain PyTorch loop: the same MNIST digits, normalization, MLP and CNN
(Composer's MNIST CNN), batch 64, Adam at 1e-3, and thread count as tests/Composer.Benchmarks' EndToEnd benchmark.

Usage: /usr/bin/python3 mnist_peer.py [--threads 2] [--epochs 15]   (after setup.sh)
Prints the median time per batch of each model over the timed epochs (125 batches each), after 3 warm-up epochs.
"""
import argparse, gzip, json, os, statistics, struct, time
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "samples", "data", "mnist", "mnist-10k.bin.gz")
MEAN, STD, BATCH, SEED = 0.1307, 0.3081, 64, 17


def load():
    raw = gzip.open(DATA, "rb").read()
    assert raw[:8] == b"CMNIST01"
    train, test, rows, cols = struct.unpack("<4i", raw[8:24])
    count = train + test
    labels = torch.frombuffer(bytearray(raw[24:24 + count]), dtype=torch.uint8).long()
    pixels = torch.frombuffer(bytearray(raw[24 + count:]), dtype=torch.uint8).float().reshape(count, 1, rows, cols)
    pixels = (pixels / 255 - MEAN) / STD
    return pixels[:train].clone(), labels[:train].clone()


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 32, 3), nn.BatchNorm2d(32), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(512, 32), nn.ReLU(), nn.Linear(32, 10))


def epoch(model, optimizer, inputs, targets, number):
    model.train()
    order = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(SEED + number))
    batches = 0
    for start in range(0, len(inputs), BATCH):
        index = order[start:start + BATCH]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs[index]), targets[index])
        loss.backward()
        optimizer.step()
        batches += 1
    return batches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    inputs, targets = load()
    results = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, build in (("mlp", mlp), ("cnn", cnn)):
        torch.manual_seed(SEED)
        model = build()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for number in range(3):
            epoch(model, optimizer, inputs, targets, number)
        per_batch = []
        for number in range(3, 3 + args.epochs):
            clock = time.perf_counter()
            batches = epoch(model, optimizer, inputs, targets, number)
            per_batch.append((time.perf_counter() - clock) / batches * 1000)
        results[name] = {"median_ms_per_batch": statistics.median(per_batch), "min": min(per_batch), "max": max(per_batch)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
