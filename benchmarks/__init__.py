"""parbench's benchmark suite: does parbench measure what it says, at what cost, against what ceiling?

Run it with `python -m benchmarks` (or `make bench`); `--only NAME[,NAME]` runs some figures,
`--quick` fewer rounds. Every comparison runs side by side in one go, interleaved A B A B over
several rounds, and is reported as the median of the per-round ratios: the VM this was written on
changes speed every few seconds, so absolute times are shown only as context.

One module per figure group; `common` holds the table, the interleaving helper and the ways of
running parbench; `independent` holds the hand-written reference measurements, each run in a
process of its own.
"""
