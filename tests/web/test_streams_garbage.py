"""A thousand and more generated garbage frames on one run websocket, through Channels'
communicator in-process: every one gets an error frame, or is ignored as docs/api.md says
(acks, coalesced pings and resyncs), the consumer never dies, and a normal viewer of the same
run is served as usual afterwards."""
from __future__ import annotations

import json
import random
from typing import Any, Iterator

import pytest

from lab.runs import messages

from .stream_client import Client
from .test_streams import finished_run

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
SEED = 9


def garbage(rng: random.Random) -> Iterator[tuple[str, str | bytes]]:
    """(what it is, the frame): text frames are str, binary frames bytes. Each gets an error."""
    words = ["ping", "resync", "ack", "control", "launch", "PING", "", "snapshot", "window"]
    for _ in range(1100):
        pick = rng.randrange(16)
        if pick == 0:
            yield "binary", rng.randbytes(rng.randrange(1, 2000))
        elif pick == 1:
            yield "invalid utf-8", b"\xff\xfe" + rng.randbytes(rng.randrange(0, 50)) + b"\xc3\x28"
        elif pick == 2:
            yield "huge", "{\"type\": \"ping\", \"pad\": \"" + "x" * rng.randrange(20_000, 300_000) + "\"}"
        elif pick == 3:
            yield "not json", "".join(chr(rng.randrange(32, 127)) for _ in range(rng.randrange(1, 80)))
        elif pick == 4:
            text = json.dumps({"type": "control", "command": {"op": "pause"}})
            yield "truncated", text[: rng.randrange(1, len(text) - 1)]
        elif pick == 5:
            yield "lone surrogate", rng.choice(['{"type": "ping", "x": "\\ud800"}', '{"type": "ping", "x": "\\udfff"}',
                                                '{"type": "ping", "x": "\ud800"}', '{"type": "\udc80"}'])
        elif pick == 6:
            yield "not a number", '{"type": "ping", "x": %s}' % rng.choice(["NaN", "Infinity", "-Infinity"])
        elif pick == 7:
            depth = rng.randrange(65, 5000)
            yield "deep", '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}"
        elif pick == 8:
            yield "wrong type", json.dumps({"type": rng.choice([5, None, ["ping"], {"t": 1}, True, 1.5])})
        elif pick == 9:
            yield "bad ack", json.dumps({"type": "ack", "frames": rng.choice(["3", -1, 1.5, True, None, [1], 10**12])})
        elif pick == 10:
            yield "bad command", json.dumps({"type": "control", "command": rng.choice(["pause", [1], 3, None])})
        elif pick == 11:
            op = rng.choice(["launch", "rm -rf", "", "PAUSE", "set_param", "pause", "speed", "inject_fault"])
            yield "unknown or refused op", json.dumps({"type": "control", "command": {"op": op, "value": rng.random()}})
        elif pick == 12:
            yield "unknown type", json.dumps({"type": rng.choice(words) + str(rng.randrange(100))})
        elif pick == 13:
            yield "duplicate keys", '{"type": "ping", "type": "resync"}'
        elif pick == 14:
            yield "not an object", json.dumps(rng.choice([[1, 2], "ping", 3, None, True]))
        else:
            yield "blank", rng.choice([" ", "\n\t", "   \r\n"])


async def send(client: Client, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        await client.ws.send_to(bytes_data=frame)
    else:
        await client.ws.send_to(text_data=frame)


async def test_a_thousand_garbage_frames_each_get_an_error_and_the_run_is_still_watchable() -> None:
    run_id, key = await finished_run(40)
    fuzzer = await Client.open(run_id, key)
    await fuzzer.snapshot()
    kinds: dict[str, int] = {}
    for what, frame in garbage(random.Random(SEED)):
        await send(fuzzer, frame)
        reply = await fuzzer.frame()
        assert reply["type"] == messages.ERROR, (what, frame[:200], reply)
        assert reply["message"] and reply["problems"][0]["message"]
        kinds[what] = kinds.get(what, 0) + 1
    assert sum(kinds.values()) >= 1000 and len(kinds) == 16

    # Floods of well-formed messages are ignored (acks) or coalesced (pings, resyncs): a few
    # status frames and at most one more snapshot, never an error and never a frame each.
    for _ in range(300):
        await fuzzer.send({"type": "ack", "frames": fuzzer.received})
        await fuzzer.send({"type": "ping"})
        await fuzzer.send({"type": "resync"})
    replies: dict[str, int] = {}
    while not await fuzzer.quiet(1.5):
        frame = await fuzzer.frame()
        replies[frame["type"]] = replies.get(frame["type"], 0) + 1
    assert set(replies) <= {messages.STATUS, messages.SNAPSHOT, messages.WINDOWS}
    assert replies.get(messages.SNAPSHOT, 0) <= 2 and replies.get(messages.STATUS, 0) <= 300

    await fuzzer.send({"type": "ping"})
    assert (await fuzzer.next_of(messages.STATUS))["status"] == "done"
    assert not fuzzer.ws.future.done(), "the consumer ended"
    viewer = await Client.open(run_id, key)
    assert [w["index"] for w in (await viewer.snapshot())["windows"]] == list(range(40))
    await viewer.close()
    await fuzzer.close()


async def test_a_command_flood_is_refused_past_the_burst_without_queueing_each_one() -> None:
    from channels.db import database_sync_to_async

    from lab.runs.models import RunCommand

    from .test_streams import running_run

    run, key = await running_run()
    client = await Client.open(str(run.id), key)
    await client.snapshot()
    replies: list[dict[str, Any]] = []
    for _ in range(100):
        await client.send({"type": "control", "command": {"op": "speed", "value": 10}})
    while not await client.quiet(0.5):
        frame = await client.frame()
        if frame["type"] in (messages.ACK, messages.ERROR):
            replies.append(frame)
    queued = await database_sync_to_async(RunCommand.objects.filter(run=run).count)()
    assert 10 <= queued < 20 and sum(r["type"] == messages.ACK for r in replies) == queued
    assert all("too many commands" in r["message"] for r in replies if r["type"] == messages.ERROR)
    await client.close()
