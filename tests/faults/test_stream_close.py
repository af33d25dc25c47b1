"""Closing a participant's media stream returns, on the real livekit-server.

``rtc.VideoStream.from_participant(...).aclose()`` waits for an end-of-stream that never
comes while the participant is still in the room (livekit rtc 1.1.21): the live proctor
closed its streams that way, so a job ending with the candidate still connected hung in
its cleanup and its agent never left the room. :func:`agent.stream_close.close_stream`
bounds the wait and leaves no FFI queue subscribed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from livekit import api, rtc
from livekit.rtc._ffi_client import FfiClient

from agent.stream_close import close_stream
from proctorai.sim.media import FRAME_HEIGHT, FRAME_WIDTH, face_path, frame_from_image
from tests.support.livekit_server import TestLiveKitServer
from tests.support.rooms import create_room

pytestmark = [pytest.mark.slow]


def _token(server: TestLiveKitServer, identity: str) -> str:
    grants = api.VideoGrants(room_join=True, room="stream-close")
    return (
        api.AccessToken(server.api_key, server.api_secret)
        .with_identity(identity)
        .with_grants(grants)
        .to_jwt()
    )


async def test_a_participant_stream_closes_while_the_participant_stays(
    livekit_server: TestLiveKitServer,
) -> None:
    publisher, subscriber = rtc.Room(), rtc.Room()
    source = rtc.VideoSource(FRAME_WIDTH, FRAME_HEIGHT)
    image = frame_from_image(face_path("obama.jpg"))
    frame = rtc.VideoFrame(FRAME_WIDTH, FRAME_HEIGHT, rtc.VideoBufferType.RGBA, image)

    async def camera() -> None:
        while True:
            source.capture_frame(frame)
            await asyncio.sleep(0.1)

    await create_room(livekit_server, "stream-close")
    await publisher.connect(livekit_server.url, _token(livekit_server, "camera"))
    track = rtc.LocalVideoTrack.create_video_track("camera", source)
    options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
    await publisher.local_participant.publish_track(track, options)
    feeding = asyncio.create_task(camera())
    try:
        await subscriber.connect(livekit_server.url, _token(livekit_server, "watcher"))
        deadline = time.monotonic() + 30
        while "camera" not in subscriber.remote_participants:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        participant = subscriber.remote_participants["camera"]
        subscribers = len(FfiClient.instance.queue._subscribers)
        stream = rtc.VideoStream.from_participant(
            participant=participant, track_source=rtc.TrackSource.SOURCE_CAMERA, capacity=1
        )
        frames = 0
        async for _ in stream:
            frames += 1
            if frames == 5:
                break
        began = time.monotonic()
        await asyncio.wait_for(close_stream(stream, timeout=1.0), timeout=10)
        assert time.monotonic() - began < 5
        assert len(FfiClient.instance.queue._subscribers) == subscribers  # nothing leaks
    finally:
        feeding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeding
        await subscriber.disconnect()
        await publisher.disconnect()
