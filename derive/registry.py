"""Imports every theorem module so that each registers its identities, in the book's order."""
from . import neurons  # noqa: F401  perceptrons, sigmoid neurons
