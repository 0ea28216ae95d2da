#!/usr/bin/env bash
# Installs the PyTorch peer of the end-to-end benchmark from Debian: torch 1.13 and OpenBLAS (without it Debian's
# torch uses the generic reference BLAS, about 9x slower on the MLP). Run as root; then run mnist_peer.py with
# /usr/bin/python3 (Debian's Python, which these packages install into).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3-torch libopenblas0-pthread
/usr/bin/python3 -c "import torch; print('torch', torch.__version__)"
