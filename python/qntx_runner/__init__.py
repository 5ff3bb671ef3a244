"""qntx's Python runner: a warm parent that Node starts once (`python -m qntx_runner`) and that
forks one isolated child per handler run. Standard library only, Python >= 3.9.

Modules, one concern each (docs/python-runner.md):
  protocol    the JSON-line wire to Node and from a run; Node's commands parsed defensively
  limits      the attestation limits and the checks attest() and the parent apply with them
  sandbox     rlimits, the sandbox uid, lock files, what a uid leaves behind
  rundirs     a run's private directory (HOME, TMPDIR) and environment; the janitor
  forkserver  the parent's loop: commands, forking, output caps, timeouts, ends of runs
  pipes       the parent's side of a run's pipes: output caps, fd 3 checked, flow control
  runs        the parent's record of one run and how its end is reported
  reaper      killing what a run leaves behind (its group, escaped processes, its uid)
  child       the forked child: sets the run up, executes the script, reports the result
  bridge      what a script sees: attest(), progress(), ix (the namespace of a run)
"""
