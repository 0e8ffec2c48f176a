"""The engine, knowing nothing of the book: what each function is, the exact prover and its
certified refutations, interval evaluation, the theorem machinery, the proof cache, the mutation
test, and how mathematics is displayed.  Imports nothing else of gradproof."""
