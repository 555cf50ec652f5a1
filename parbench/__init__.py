"""`parbench`, the command's name as a package: `python -m parbench` runs the command line (`tui.cli`)."""
