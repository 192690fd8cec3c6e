"""The video workers: doctors learned from auth's stream, one reminder per consultation, and live updates
fanned out from the consultation stream to both participants (and nobody else)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from redis.asyncio import Redis

from libs.config import Settings
from libs.events import CloudEvent, EventPublisher
from libs.events.streams import (
    AUTH_STREAM,
    CONSULTATION_REMINDER,
    CONSULTATION_STREAM,
    USER_ROLE_GRANTED,
    stream_key,
)
from libs.testing.graphql import error_codes, gql
from subgraphs.video.events import LIVE_TOPIC
from subgraphs.video.resources import VideoResources
from subgraphs.video.service import VideoDeps, VideoService
from subgraphs.video.worker import VideoWorkers
from tests.subgraphs.coaching.ws import Subscription, subscribe
from tests.subgraphs.video.conftest import booked, call, doctor, next_slot, person, signed_up

ON_UPDATE = "subscription($id: ID!) { consultationUpdated(id: $id) { id status startedAt endedAt } }"
ON_MESSAGE = ("subscription($id: ID!) { consultationMessageSent(consultationId: $id) "
              "{ id body sender { id } } }")
SEND = "mutation($id: ID!, $b: String!) { sendConsultationMessage(consultationId: $id, body: $b) { id } }"


async def _events(redis: Redis, settings: Settings, type_: str, consultation_id: str) -> list[dict[str, Any]]:
    entries = await redis.xrange(stream_key(settings, CONSULTATION_STREAM))
    found = [CloudEvent.from_json(fields["event"]) for _, fields in entries]
    return [e.data for e in found if e.type == type_ and e.data.get("consultationId") == consultation_id]


async def _until(updates: Subscription, status: str) -> dict[str, Any]:
    """The consultation as each change announces it (its state when read), until it shows `status`."""
    for _ in range(5):  # a status event still in the stream from before may come first
        seen: dict[str, Any] = (await updates.next())["data"]["consultationUpdated"]
        if seen["status"] == status:
            return seen
    raise AssertionError(f"no {status} update")


async def test_doctors_come_from_auths_events(video: VideoResources, video_settings: Settings) -> None:
    publisher = EventPublisher(video.redis, video_settings)
    signed, granted, plain = (str(uuid.uuid4()) for _ in range(3))
    grant = CloudEvent.new(USER_ROLE_GRANTED, "/subgraphs/auth", granted,
                           {"userId": granted, "role": "DOCTOR", "actorId": "admin", "displayName": "정의사"})
    async with VideoWorkers(video, block_ms=50).running():
        await publisher.publish(AUTH_STREAM, signed_up(signed, "한의사", ["USER", "DOCTOR"]))
        await publisher.publish(AUTH_STREAM, grant)
        await publisher.publish(AUTH_STREAM, grant)  # redelivered: one profile
        await publisher.publish(AUTH_STREAM, signed_up(plain, "환자", ["USER"]))
        for _ in range(100):
            async with video.db.read() as repo:
                found = {d.user_id: d for d in await repo.doctors_by_ids([signed, granted, plain])}
            if len(found) == 2:
                break
            await asyncio.sleep(0.05)
    assert set(found) == {signed, granted}
    assert found[signed].display_name == "한의사" and found[granted].display_name == "정의사"
    assert not found[granted].verified  # outside dev an administrator verifies the license first


async def test_a_consultation_is_reminded_once(video: VideoResources, video_url: str, settings: Settings,
                                               video_settings: Settings, redis: Redis) -> None:
    doc, patient = await doctor(video, settings), person(settings)
    soon = await booked(video_url, patient, doc, next_slot(1))  # within the 10-minute lead
    later = await booked(video_url, person(settings), doc, next_slot(120))
    workers = [VideoWorkers(video, reminder_interval_s=3600) for _ in range(3)]
    # Three workers' passes at once, then another: the mark commits with the event, so one reminder.
    await asyncio.gather(*(w.send_reminders() for w in workers))
    await workers[0].send_reminders()
    while await video.relay.relay_once():
        pass
    reminders = await _events(redis, video_settings, CONSULTATION_REMINDER, soon)
    assert len(reminders) == 1, reminders
    assert reminders[0]["patientId"] == patient.id and reminders[0]["doctorName"] == "김의사"
    assert reminders[0]["minutesBefore"] == 10
    assert await _events(redis, video_settings, CONSULTATION_REMINDER, later) == []


async def test_both_participants_follow_status_and_chat_live(video: VideoResources, video_url: str,
                                                             settings: Settings) -> None:
    doc, patient, stranger = await doctor(video, settings), person(settings), person(settings)
    cid = await booked(video_url, patient, doc)
    base = video_url.removesuffix("/graphql")
    async with VideoWorkers(video, block_ms=50).running(), \
            subscribe(base, ON_UPDATE, patient.token, {"id": cid}) as patient_updates, \
            subscribe(base, ON_UPDATE, doc.token, {"id": cid}) as doctor_updates, \
            subscribe(base, ON_MESSAGE, doc.token, {"id": cid}) as doctor_chat, \
            subscribe(base, ON_MESSAGE, patient.token, {"id": cid}) as patient_chat:
        for who in (patient, doc):
            for _ in range(100):
                if await video.live.listeners(LIVE_TOPIC, who.id):
                    break
                await asyncio.sleep(0.02)
        assert "errors" not in await call(video_url, doc, "confirmConsultation", cid)
        for updates in (patient_updates, doctor_updates):
            assert (await _until(updates, "CONFIRMED"))["startedAt"] is None
        assert "errors" not in await call(video_url, doc, "joinConsultation", cid, "token")
        for updates in (patient_updates, doctor_updates):
            assert (await _until(updates, "IN_PROGRESS"))["startedAt"] is not None
        sent = await gql(video_url, SEND, {"id": cid, "b": "안녕하세요"}, token=patient.token)
        message_id = sent["data"]["sendConsultationMessage"]["id"]
        for chat in (doctor_chat, patient_chat):
            got = (await chat.next())["data"]["consultationMessageSent"]
            assert got == {"id": message_id, "body": "안녕하세요", "sender": {"id": patient.id}}
        # A stranger sending to someone else's consultation is refused and nothing reaches the two.
        assert error_codes(await gql(video_url, SEND, {"id": cid, "b": "spam"}, token=stranger.token)) == [
            "NOT_FOUND"]
        assert await doctor_chat.nothing_within(0.5)
        assert "errors" not in await call(video_url, doc, "endConsultation", cid)
        for updates in (patient_updates, doctor_updates):
            assert (await _until(updates, "COMPLETED"))["endedAt"] is not None


async def test_in_dev_a_doctor_from_auth_is_listed_and_bookable_around_the_clock(
        video: VideoResources, settings: Settings) -> None:
    dev = VideoDeps(own=video.own, rooms=video.deps.rooms, sealer=video.deps.sealer, demo_doctors=True)
    demo = str(uuid.uuid4())
    async with video.db.write() as repo:
        event = signed_up(demo, "데모 의사", ["USER", "DOCTOR"])
        assert await VideoService(repo, dev).handle_auth_event(event)
    async with video.db.write() as repo:
        service = VideoService(repo, dev)
        assert demo in {d.user_id for d in await service.doctors("가정의학과")}
        late = next_slot(60 * 24).replace(hour=14, minute=55)  # 23:55 in Seoul: runs past midnight
        row = await service.book(str(uuid.uuid4()), demo, late, None, None)
    assert row.status == "REQUESTED"
