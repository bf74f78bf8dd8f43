"""One module per verb: ``configure_VERB(parser)`` declares its arguments, ``main_VERB(args) -> int`` runs it.

These modules are what ``textmad.cli`` imports to build its parser, so at their top they import only
argparse-level things (the recipe schema for defaults, the table format options); each ``main_VERB``
imports the modules that do the work (torch, transformers, matplotlib, ...) when the verb runs.
"""
