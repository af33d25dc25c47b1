"""Which camera and microphone the agent judges when the candidate publishes several."""

from __future__ import annotations

from agent.proctor.tracks import JudgedTrack, TrackChoice


def test_the_first_published_track_is_judged_and_the_others_are_extras() -> None:
    chooser = JudgedTrack()
    assert chooser.update([]) == TrackChoice(judged=None, extras=())
    assert chooser.update(["TR_a"]) == TrackChoice(judged="TR_a", extras=())
    # a later track, even listed first, is an extra: the judged one stays
    assert chooser.update(["TR_b", "TR_a"]) == TrackChoice(judged="TR_a", extras=("TR_b",))
    assert chooser.update(["TR_c", "TR_a", "TR_b"]) == TrackChoice(
        judged="TR_a", extras=("TR_b", "TR_c")
    )


def test_when_the_judged_track_goes_the_oldest_remaining_one_takes_over() -> None:
    chooser = JudgedTrack()
    chooser.update(["TR_a"])
    chooser.update(["TR_a", "TR_b"])
    chooser.update(["TR_a", "TR_b", "TR_c"])
    assert chooser.update(["TR_c", "TR_b"]) == TrackChoice(judged="TR_b", extras=("TR_c",))
    # the first one coming back is a new track: it queues behind the others
    assert chooser.update(["TR_a", "TR_b", "TR_c"]) == TrackChoice(
        judged="TR_b", extras=("TR_c", "TR_a")
    )
    assert chooser.update([]) == TrackChoice(judged=None, extras=())
    assert chooser.judged is None


def test_tracks_seen_together_keep_the_order_they_are_listed_in() -> None:
    chooser = JudgedTrack()
    assert chooser.update(["TR_y", "TR_x"]) == TrackChoice(judged="TR_y", extras=("TR_x",))
    assert chooser.update(["TR_x", "TR_y"]).judged == "TR_y"  # stable, not re-sorted
