"""The loop's mixing modes, named once. The recipe accepts these names, ``textmad.mix`` builds their
training mixes (its docstring says what each one does), the budget, the sweep and the views read them;
they sit below the recipe so that every layer can import them."""
REPLACE = "replace"
AUGMENT = "augment"
ACCUMULATE = "accumulate"
ACCUMULATE_SUBSAMPLE = "accumulate-subsample"
FRESH = "fresh"
MODES = (REPLACE, AUGMENT, ACCUMULATE, ACCUMULATE_SUBSAMPLE, FRESH)
SHARED_MODES = (AUGMENT, FRESH)  # the modes whose real share is a knob (loop.real_share, sweep.modes); the others fix it
