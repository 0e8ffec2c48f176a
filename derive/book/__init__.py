"""The book's mathematics, one module per concept of chapters 1-3 (neurons, activations, costs,
gradient descent, backpropagation, cross-entropy, softmax, regularization, the Hessian, the
transcribed slips), each theorem with its display form.  Imports the core and the claims."""
