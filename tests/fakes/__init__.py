"""Local fake servers for remote services the tests cannot reach (OpenAI).

They speak the real wire protocols, so the real client libraries run end to
end against them; see each module for what is scripted and what is recorded.
"""

from tests.fakes.openai_chat import ChatError, ChatReply, FakeChatServer, RecordedChatRequest
from tests.fakes.openai_realtime import (
    FakeRealtimeServer,
    RealtimeScript,
    RecordedResponse,
    RecordedUserTurn,
    synthesize_speech,
)

__all__ = [
    "ChatError",
    "ChatReply",
    "FakeChatServer",
    "FakeRealtimeServer",
    "RealtimeScript",
    "RecordedChatRequest",
    "RecordedResponse",
    "RecordedUserTurn",
    "synthesize_speech",
]
