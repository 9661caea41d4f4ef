#!/usr/bin/env bash
# Installs what SemiSegOrleans needs on a fresh Debian 12 machine (idempotent; safe to run again).
# - the .NET 10 SDK must already be on PATH (Debian does not package it; see README "Requirements");
# - Node.js 20+ with npm on PATH (scripts/azurite.sh installs the Azurite storage emulator for the tests with it);
# - the Debian package dataset-fashion-mnist (real Fashion-MNIST images, used by FashionScenes and the examples).
set -euo pipefail

need_root() { if [ "$(id -u)" -ne 0 ]; then echo sudo; fi; }

if ! command -v dotnet >/dev/null 2>&1 || ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "error: the .NET 10 SDK is required (dotnet on PATH). Install it from https://dot.net, then run this again." >&2
  exit 2
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm (Node.js 20+) is required to install Azurite for the tests. Install it (Debian: apt-get install nodejs npm), then run this again." >&2
  exit 2
fi

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ -z "${SEMISEG_FASHION_MNIST:-}" ]; then
  echo "Installing dataset-fashion-mnist (Debian package)..."
  $(need_root) apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $(need_root) apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
