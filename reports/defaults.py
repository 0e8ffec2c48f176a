"""The default run of ``gradproof report``: short, so that the whole report takes about a minute."""

#: Training preset of the default report (the book's chapter 1 network).
DEFAULT_PRESET = "nielsen-ch1"
#: Epochs of the default report's training run (the book trains 30; this is a short run beside it).
DEFAULT_EPOCHS = 10
