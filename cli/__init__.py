"""gradproof: the command line (:mod:`gradproof.cli`) on top of the libraries ``gradproof.derive``,
``gradproof.numerics`` and ``gradproof.reports``."""
__version__ = "0.1.0"
