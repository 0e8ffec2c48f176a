"""Imports every theorem module so that each registers its identities, then orders the registry as
the book goes (by :data:`~derive.core.theorem.GROUPS`, registration order within a group)."""
from . import neurons  # noqa: F401  perceptrons, sigmoid neurons
from . import activations  # noqa: F401  tanh, ReLU (and the sigmoid's stable form)
from . import gradient_descent  # noqa: F401  quadratic cost, gradient descent, SGD
from . import backprop  # noqa: F401  BP1-BP4, sum over paths
from . import cross_entropy  # noqa: F401  cross-entropy, σ′ cancellation, softplus form
from . import softmax  # noqa: F401  softmax, log-likelihood, log-sum-exp
from . import regularization  # noqa: F401  L2, L1
from . import hessian  # noqa: F401  Newton step
from . import r_operator  # noqa: F401  Hessian-vector products: the R-operator on BP1-BP4
from . import gauss_newton  # noqa: F401  the Gauss-Newton product and H = G + curvature
from . import slips  # noqa: F401  transcribed slips, expected to be refuted
from ..core.theorem import GROUPS, REGISTRY

_order = {g: i for i, g in enumerate(GROUPS)}
for _id in sorted(REGISTRY, key=lambda i: _order[REGISTRY[i].group]):
    REGISTRY[_id] = REGISTRY.pop(_id)
