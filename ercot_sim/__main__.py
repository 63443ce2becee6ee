"""``python -m ercot_sim`` runs the command line."""

from ercot_sim.cli import main

main()
