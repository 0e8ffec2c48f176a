r"""Functions that the textbook (complex-step) kernels call where numpy has no complex-safe form.

The complex step :math:`f'(x) \approx \operatorname{Im} f(x + ih)/h` needs every function on its path
to be analytic *and* evaluated accurately in complex arithmetic.  ``numpy.logaddexp`` refuses complex
input, and the textbook :math:`\ln(1 + e^u)` overflows for :math:`\operatorname{Re} u > 709`.
"""
from __future__ import annotations

import numpy

__all__ = ["logaddexp"]


def logaddexp(x, y):
    r""":math:`\ln(e^x + e^y) = u + \ln(1 + e^{v-u})`, u the argument with the larger real part and v
    the other, for real or complex arrays.

    The identity holds whichever argument is u, so choosing it by the real parts changes only how the
    value is computed, not the function: it stays analytic in x and y, and the complex step sees its
    derivative.  :math:`\operatorname{Re}(v - u) \le 0`: nothing overflows, and for the tiny imaginary
    parts of the complex step :math:`1 + e^{v-u}` lies in (1, 2], so nothing cancels.  For real input
    it is numpy's own formula (``log1p``), equal to ``numpy.logaddexp`` to rounding.
    """
    first = numpy.real(x) >= numpy.real(y)
    u, v = numpy.where(first, x, y), numpy.where(first, y, x)
    return u + numpy.log1p(numpy.exp(v - u))
