"""The reader's own mathematics: the safe parser, ``verify`` (one claim) and ``proofread`` (a
derivation, step by step).  Imports the core only."""
