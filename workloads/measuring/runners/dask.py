"""The same kernel on a real Dask cluster: a LocalCluster by default, or a scheduler's address."""

from __future__ import annotations

from ...model.errors import RunAborted
from ...model.strategies import StrategyKind
from ...model.workload import WorkloadError
from ..cleanup import OwnedWorkers
from .base import Runner, RunnerConfig, first_line

# How long a Dask scheduler may take to answer before the run fails, saying so.
DASK_CONNECT_S = 3.0


class DaskRunner(Runner):
    """The same kernel on a Dask cluster: a LocalCluster of `workers` single-threaded worker
    processes by default, or the scheduler at `dask_scheduler`. Cold builds the cluster (or
    connects) inside the timed call, as the seed's pool does; warm does it once before timing.

    Every worker imports the workload before any item is sent (`_ship`): a LocalCluster's workers
    read the file from its path, a remote cluster's get it with `Client.upload_file` (they need
    parbench installed to run it). A worker that cannot import it says so in one line, instead of
    failing to unpickle the items sent to it, which Dask only logs while the call waits forever."""

    def __init__(self, kind: StrategyKind, config: RunnerConfig) -> None:
        super().__init__(kind, config)
        self._client = None
        self._cluster = None
        self._owned = OwnedWorkers(self)
        self.scheduler: str | None = config.options.get("dask_scheduler")

    @staticmethod
    def _distributed():
        try:
            import distributed
        except ImportError:
            raise RunAborted("dask is not installed: pip install 'parbench[dask]'") from None
        return distributed

    def check(self) -> None:
        distributed = self._distributed()
        address = self.scheduler
        if not address:
            return
        try:
            client = distributed.Client(address, timeout=f"{DASK_CONNECT_S}s")
        except Exception as exc:
            raise RunAborted(f"dask: cannot reach the scheduler at {address} within {DASK_CONNECT_S:g} s "
                             f"({first_line(exc)})") from None
        try:
            self._ship(client)  # once for the whole run: every point would fail the same way
        except WorkloadError as exc:
            raise RunAborted(str(exc)) from None
        finally:
            client.close()

    def _ship(self, client) -> None:
        """Upload the workload's file to a remote cluster, then have every worker import it."""
        where = f"the Dask workers at {self.scheduler}" if self.scheduler else \
            "the LocalCluster's Dask workers"
        try:
            if self.scheduler and self.config.upload:
                client.upload_file(self.config.upload)
            load = getattr(self.config.item_call, "load", None)
            if load is not None:
                client.run(load)
        except WorkloadError as exc:
            raise WorkloadError(f"dask: {where} cannot import the workload: {exc}") from None
        except Exception as exc:
            raise WorkloadError(f"dask: sending the workload to {where} failed: {first_line(exc)}") from None

    def _connect(self):
        import logging

        distributed = self._distributed()
        address = self.scheduler
        if address:
            client, cluster = distributed.Client(address, timeout=f"{DASK_CONNECT_S}s"), None
        else:
            # ":0": any free port (None still takes 8787, and warns when another cluster holds it).
            cluster = distributed.LocalCluster(n_workers=self.config.workers, threads_per_worker=1,
                                               processes=True, dashboard_address=":0",
                                               silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        try:
            self._ship(client)
        except BaseException:
            client.close()
            if cluster is not None:
                cluster.close()
            raise
        return client, cluster

    def prepare(self, items: int) -> None:
        if self.config.warm and self._client is None:
            self._owned.starting()
            self._client, self._cluster = self._connect()
            self._client.wait_for_workers(1, timeout=30)
            self._owned.started()

    def _map(self, client, data: dict) -> dict:
        return dict(client.gather(client.map(self.config.item_call, list(data.items()), pure=False)))

    def call(self, data: dict) -> dict:
        if self.config.warm and self._client is not None:
            return self._map(self._client, data)
        client, cluster = self._connect()
        try:
            return self._map(client, data)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        self._owned.forget()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


RUNNER = DaskRunner
