"""W3C Server-Timing (https://www.w3.org/TR/server-timing/) for the routes that give it (the
settlement POST): where a request's time went inside the service, so that a client can tell its own
queueing and the hop from the server's work.

A route starts a `ServerTiming`, current for the rest of the request (its child tasks included); the
one service client (shared.http_client) adds each peer call's time to it, the domain service its
database statements. Elsewhere none is current, and the client's one check is `current() is None`,
as for tracing. Tracing's spans are not reused: off (the default) there are none, and on they cost a
span object and an export per call; this costs a few perf_counter calls and one header string.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from time import perf_counter


class ServerTiming:
    """Seconds per peer (its calls summed, retries included), in the database, and in all; the
    service's own work is the rest: all less the database and the time any peer call was in flight
    (calls to several peers run at once; the database is never asked while a peer is)."""

    __slots__ = ("started", "peers", "db", "_in_flight", "_peers_since", "_peers_wall")

    def __init__(self, peers: tuple[str, ...]) -> None:
        self.started = perf_counter()
        self.peers = dict.fromkeys(peers, 0.0)  # named even when not called (a cached look-up)
        self.db = 0.0
        self._in_flight = 0
        self._peers_since = 0.0
        self._peers_wall = 0.0

    def peer_started(self) -> float:
        now = perf_counter()
        if not self._in_flight:
            self._peers_since = now
        self._in_flight += 1
        return now

    def peer_done(self, peer: str, started: float) -> None:
        now = perf_counter()
        self.peers[peer] = self.peers.get(peer, 0.0) + now - started
        self._in_flight -= 1
        if not self._in_flight:
            self._peers_wall += now - self._peers_since

    def header(self) -> str:
        """e.g. `registry;dur=1.20, catalog;dur=0.00, assistance;dur=2.10, db;dur=3.00, app;dur=1.70,
        total;dur=8.00` (milliseconds)."""
        total = perf_counter() - self.started
        peers = "".join(f"{peer};dur={seconds * 1000:.2f}, " for peer, seconds in self.peers.items())
        return (f"{peers}db;dur={self.db * 1000:.2f}, app;dur={(total - self.db - self._peers_wall) * 1000:.2f}, "
                f"total;dur={total * 1000:.2f}")


_current: ContextVar[ServerTiming | None] = ContextVar("server_timing", default=None)


def start(peers: tuple[str, ...]) -> tuple[ServerTiming, Token[ServerTiming | None]]:
    """A timing current from now on; give the token back to `stop` once the request is done."""
    timing = ServerTiming(peers)
    return timing, _current.set(timing)


def stop(token: Token[ServerTiming | None]) -> None:
    _current.reset(token)


def current() -> ServerTiming | None:
    return _current.get()


@contextmanager
def database() -> Iterator[None]:
    """Around a database statement: its time counts to the current timing's, if any."""
    started = perf_counter()
    try:
        yield
    finally:
        timing = _current.get()
        if timing is not None:
            timing.db += perf_counter() - started
