"""Close an rtc media stream without hanging the job.

In livekit rtc 1.1.21, ``VideoStream.from_participant(...).aclose()`` (and the audio
twin) disposes its native handle and then waits for an end-of-stream event that never
comes while the participant is still in the room, so ``aclose()`` never returns: a job
ending its interview with the candidate still connected hung in its cleanup and its agent
never left the room (measured: see ``tests/faults/test_stream_close.py``). A stream made
from a track closes at once; one made from a participant ends only when the participant
leaves.

:func:`close_stream` bounds the wait; on timeout the stream's reader task has been
cancelled by ``wait_for``, so it does what that task would have done last: unsubscribe
its queue from the FFI event broadcast (otherwise every later FFI event of the process
would pile up in it).
"""

from __future__ import annotations

import asyncio
import logging

from livekit import rtc
from livekit.rtc._ffi_client import FfiClient

logger = logging.getLogger("proctorai.agent.streams")


async def close_stream(stream: rtc.VideoStream | rtc.AudioStream, timeout: float = 1.0) -> None:
    """``await stream.aclose()``, bounded; never leaves the FFI queue subscribed."""
    try:
        await asyncio.wait_for(stream.aclose(), timeout=timeout)
    except TimeoutError:
        queue = getattr(stream, "_ffi_queue", None)
        if queue is not None:
            FfiClient.instance.queue.unsubscribe(queue)
        logger.debug("media stream closed without its end-of-stream event")
