"""textmad: a workbench for studying model collapse in text."""
__version__ = "0.1.0"
