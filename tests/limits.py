"""How long a test waits before it calls something hung.

No test depends on how fast the machine is.  A subprocess, a notebook cell or a browser gets a
hang guard, generous on purpose: on a shared 2-core machine under load, a child that takes 5 s
alone may take a minute.  A speed target belongs in ``gradproof bench``, never in a test.
"""

#: Seconds after which a subprocess (a notebook cell, a browser) is taken to hang: ten minutes.
HANG_GUARD = 600.0
