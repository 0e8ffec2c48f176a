"""The default run of ``gradproof report``: the book's chapter-1 network, trained as the book does
(30 epochs: about 15 s on the full MNIST here), so that the whole report takes well under a minute."""

#: Training preset of the default report (the book's chapter 1 network).
DEFAULT_PRESET = "nielsen-ch1"
#: Epochs of the report's training run; None: the preset's own (the book's figure is for those).
DEFAULT_EPOCHS = None
#: Training settings of the section for a user's own activation or cost (``report --activation``),
#: which ``report --eta --init --sizes --epochs`` change: the preset's network and epochs, but
#: chapter 3's N(0, 1/n_in) weights and a smaller eta than chapter 1's 3.0, which saturates or
#: explodes most activations other than the sigmoid (SiLU with tanh cross-entropy: 10% at eta 3.0
#: with either init, 77.9% at 0.5 scaled, 3 epochs of the sample; 10% at 0.5 with N(0, 1)).
CUSTOM_ETA = 0.5
CUSTOM_INIT = "scaled"
