"""The Redis broker transport, with the fix that keeps a worker alive when Redis goes away mid-task.

What killed workers (kombu 5.7.0, the newest release): Redis stops while a task runs and the consumer waits
in BRPOP for the next one (a prefork worker with a free process). Celery then closes the lost connection
twice: `collect()` first, then `close()`.
1. In the first close, the channel reads the pending BRPOP answer; the read fails on the dead socket and
   the error leaves `Channel.close()` before the channel is marked closed. `collect()` ignores the error
   and makes the connection forget its broker (`transport.client = None`).
2. The second close now runs to the end: it tries to put the running task's unacknowledged message back,
   needs a new connection pool for that, and builds its parameters from the forgotten broker:
   `AttributeError: 'NoneType' object has no attribute 'hostname'`. That is not a connection error, so
   Celery does not ignore it: "Unrecoverable error", and the worker exits.
(An idle worker survives: with no unacknowledged message there is nothing to put back.)

The fix: a BRPOP answer that cannot be read because the connection is gone is nothing to wait for, so
the first close carries on and closes the channel completely (the message restore it attempts fails as a
connection error, which Celery ignores; the message stays in Redis's unacknowledged set and is either
acknowledged on the new connection when the task ends or handed out again after the visibility timeout).
And should a channel still need its broker after the connection forgot it, that is reported as the
connection error it is.

settings.py names this transport (CELERY_BROKER_TRANSPORT) whenever Redis is the broker.
"""

from kombu.transport import redis as kombu_redis
from kombu.transport.virtual import Empty
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def close(self) -> None:
        if self._in_poll:
            try:
                self._brpop_read()  # leaves _in_poll unset, whatever happens
            except Empty:
                pass
            except self.connection_errors:
                pass  # the connection is gone, and the answer with it: close the rest now (step 1)
        super().close()

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:  # step 2: the connection was closed and forgot its broker
            raise RedisConnectionError("The broker connection of this channel has been closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
