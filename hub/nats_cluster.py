"""A private three-node NATS cluster with MQTT and JetStream, for `hub chaos --broker nats-cluster`: the
hub's ingest and the homes on a clustered broker, one node killed at a time mid-stream.

NATS keeps MQTT sessions and QoS 1 messages in JetStream streams replicated to every node
(`stream_replicas: 3`), so a persistent session outlives the node it was on: a client that fails over
to another node (hub.mqtt lists every node in the URL) resumes it there. Three nodes, not two: the
replicated streams need a majority, and with two, losing either stops them. NATS speaks MQTT 3.1.1.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hub.embedded import free_port, wait_for_port

CLUSTER_NODES = 3


@dataclass
class _Node:
    name: str
    client_port: int
    mqtt_port: int
    route_port: int
    http_port: int
    process: subprocess.Popen[bytes] | None = None


class NatsCluster:
    """`start()` returns an MQTT URL listing every node; `kill(i)` is kill -9 of one, `revive(i)` brings it
    back into the cluster; `remove()` stops all and deletes their storage."""

    protocol = "3.1.1"

    def __init__(self, nodes: int = CLUSTER_NODES, ack_wait_s: int = 10) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            raise RuntimeError("nats-server is needed for the clustered broker: apt-get install nats-server")
        self._binary = binary
        self._dir = Path(tempfile.mkdtemp(prefix="hub-nats-"))
        self._ack_wait_s = ack_wait_s
        self.nodes = [_Node(f"n{i}", free_port(), free_port(), free_port(), free_port()) for i in range(nodes)]

    def _config(self, node: _Node) -> Path:
        routes = ", ".join(f"nats-route://127.0.0.1:{n.route_port}" for n in self.nodes if n is not node)
        path = self._dir / f"{node.name}.conf"
        path.write_text(
            f"server_name: {node.name}\n"
            f"listen: 127.0.0.1:{node.client_port}\n"
            f"http: 127.0.0.1:{node.http_port}\n"
            f'jetstream {{ store_dir: "{self._dir / node.name}" }}\n'
            f"cluster {{ name: hub-chaos, listen: 127.0.0.1:{node.route_port}, routes: [{routes}] }}\n"
            # ack_wait: how long an unacked QoS 1 message waits before redelivery to a resumed session.
            f"mqtt {{ listen: 127.0.0.1:{node.mqtt_port}, stream_replicas: {len(self.nodes)}, "
            f'ack_wait: "{self._ack_wait_s}s" }}\n')
        return path

    def _launch(self, node: _Node) -> None:
        log = (self._dir / f"{node.name}.log").open("ab")
        node.process = subprocess.Popen([self._binary, "-c", str(self._config(node))], stdout=log,
                                        stderr=subprocess.STDOUT)

    def url(self) -> str:
        return "mqtt://" + ",".join(f"127.0.0.1:{n.mqtt_port}" for n in self.nodes)

    def start(self) -> str:
        for node in self.nodes:
            self._launch(node)
        for node in self.nodes:
            wait_for_port("127.0.0.1", node.mqtt_port, 30)
        self.wait_healthy()
        return self.url()

    def wait_healthy(self, timeout_s: float = 60.0, check: str = "") -> None:
        """Every running node reports JetStream healthy (meta leader elected, streams current); with
        `check="?js-enabled-only=true"`, just that JetStream is up."""
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{node.http_port}/healthz{check}", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"NATS node {node.name} not healthy after {timeout_s:.0f}s; "
                                       f"see {self._dir / node.name}.log")
                time.sleep(0.25)

    def kill(self, index: int) -> None:
        process = self.nodes[index].process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def revive(self, index: int) -> None:
        self._launch(self.nodes[index])
        wait_for_port("127.0.0.1", self.nodes[index].mqtt_port, 30)
        # Not the full check: a consumer removed while the node was down (a clean session's, when its unit
        # reconnected elsewhere) can leave it reporting "not current" for minutes, which is no fault.
        self.wait_healthy(check="?js-enabled-only=true")

    def stop(self) -> None:
        """Every node down at once (the whole broker gone); `start()` brings the cluster back."""
        for index in range(len(self.nodes)):
            self.kill(index)

    def exit_report(self) -> str | None:
        """None while a majority of nodes runs (a single node down is the fault being tested)."""
        running = sum(1 for n in self.nodes if n.process is not None and n.process.poll() is None)
        return None if running * 2 > len(self.nodes) else f"only {running} of {len(self.nodes)} NATS nodes running"

    def remove(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


def kill_nodes(cluster: NatsCluster, times: int, outage_s: float,
               current_workers: Callable[[], list[subprocess.Popen[str]]],
               progress: Callable[[str], None]) -> dict[str, Any]:
    """Kill -9 one node at a time (each in turn, so the nodes the hub and the homes are on all go), keep
    it down for `outage_s` while the homes publish, then bring it back and wait for the cluster to heal."""
    exits = 0
    for kill in range(times):
        index = kill % len(cluster.nodes)
        cluster.kill(index)
        time.sleep(outage_s)
        exits += sum(1 for worker in current_workers() if worker.poll() is not None)
        cluster.revive(index)
        progress(f"  broker node {cluster.nodes[index].name} killed and back: {kill + 1}/{times}")
    return {"broker_node_kills": times, "broker_nodes": len(cluster.nodes), "ingest_exits_in_node_kills": exits,
            "ok": exits == 0}
