# Entry point: `python -B -m qntx_runner` (Node starts it with the package's directory as cwd).
from qntx_runner.forkserver import main

main()
