"""Per-request DataLoaders: one store query per batch, whatever the number of users or consultations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from libs.audit import AccessAction, access, publish_access
from libs.events import EventPublisher
from subgraphs.video.context import VideoContext
from subgraphs.video.events import SOURCE
from subgraphs.video.models import ConsultationRow, DoctorRow, MessageRow, PrescriptionRow, RecordingRow
from subgraphs.video.service import VideoService

V = TypeVar("V")


def _batched(ctx: VideoContext, name: str,
             fetch: Callable[[VideoService, Sequence[str]], Awaitable[Mapping[str, V]]],
             missing: Callable[[], V]) -> DataLoader[str, V]:
    return ctx.batch_loader(name, lambda repo, keys: fetch(VideoService(repo, ctx.resources.deps), keys),
                            missing)


def _none() -> None:
    return None


def doctors(ctx: VideoContext) -> DataLoader[str, DoctorRow | None]:
    return _batched(ctx, "doctors", VideoService.doctors_by_ids, _none)


def consultations(ctx: VideoContext) -> DataLoader[str, ConsultationRow | None]:
    return _batched(ctx, "consultations", VideoService.consultations_by_ids, _none)


def upcoming(ctx: VideoContext) -> DataLoader[str, list[ConsultationRow]]:
    return _batched(ctx, "upcoming", VideoService.upcoming, list)


def messages(ctx: VideoContext) -> DataLoader[str, list[MessageRow]]:
    return _batched(ctx, "messages", VideoService.messages, list)


def recordings(ctx: VideoContext) -> DataLoader[str, list[RecordingRow]]:
    return _batched(ctx, "recordings", VideoService.recordings, list)


def prescriptions_of(ctx: VideoContext) -> DataLoader[str, list[PrescriptionRow]]:
    return _batched(ctx, "prescriptions_of", VideoService.prescriptions_of, list)


def prescriptions(ctx: VideoContext) -> DataLoader[str, PrescriptionRow | None]:
    return _batched(ctx, "prescriptions", VideoService.prescriptions_by_ids, _none)


def replaced(ctx: VideoContext) -> DataLoader[str, bool]:
    """Whether a newer version replaces each prescription."""

    async def load(ids: Sequence[str]) -> list[bool]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).replaced(ids)
        return [i in found for i in ids]

    return ctx.loader("replaced", lambda: DataLoader(load))


def audited_reads(ctx: VideoContext) -> DataLoader[tuple[str, str, str], bool]:
    """(reader, patient, resource): a read of someone else's health record goes to the patient's access log
    (libs.audit) once per request, before the data is served; if it cannot be recorded the read fails."""

    async def load(keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        records = [access(reader, patient, AccessAction.READ, resource)
                   for reader, patient, resource in keys if reader != patient]
        if records:
            res = ctx.resources
            await publish_access(EventPublisher(res.redis, res.settings), SOURCE, records)
        return [True for _ in keys]

    return ctx.loader("audited_reads", lambda: DataLoader(load))
