"""The Redis broker transport of the workers and beat (`CELERY_BROKER_TRANSPORT`): kombu's, with one fix.

When the connection to Redis is lost while the worker holds delivered, unacknowledged messages (a
prefetched task, or a late-acknowledged one running), Celery first collects the broken connection (which
drops the transport's reference to its connection), then closes it; closing the channel restores the
unacknowledged messages, and that needs the connection's parameters, which are gone:
`AttributeError: 'NoneType' object has no attribute 'hostname'` escapes as an "Unrecoverable error" and
the worker exits. Every worker did so at each Redis restart in the endurance run (`make soak`). Here a
collected connection reads as what it is, a connection error: Celery ignores it while closing and
reconnects. The messages are not lost: they stay in Redis' unacked set and are restored after the
visibility timeout (or are gone with a Redis that lost its data, like every queued message).
"""

from __future__ import annotations

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was already collected")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
