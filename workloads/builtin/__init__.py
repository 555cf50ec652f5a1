"""The built-in workloads, each a file written the way a user writes one (see `workloads.workload`)."""
