"""`python -m textmad` and `accelerate launch -m textmad VERB ...` both land here."""
from textmad.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
