"""The ``gradproof`` command line; the libraries are the packages ``derive``, ``numerics``, ``reports``."""
__version__ = "0.1.0"
