"""The default run of ``gradproof report``: the book's chapter-1 network, trained as the book does
(30 epochs: about 15 s on the full MNIST here), so that the whole report takes well under a minute."""

#: Training preset of the default report (the book's chapter 1 network).
DEFAULT_PRESET = "nielsen-ch1"
#: Epochs of the report's training run; None: the preset's own (the book's figure is for those).
DEFAULT_EPOCHS = None
