"""Per-request DataLoaders: one store query per batch, whatever the number of users or consultations."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from libs.audit import AccessAction, access, publish_access
from libs.events import EventPublisher
from subgraphs.video.context import VideoContext
from subgraphs.video.events import SOURCE
from subgraphs.video.models import ConsultationRow, DoctorRow, MessageRow, PrescriptionRow, RecordingRow
from subgraphs.video.service import VideoService


def doctors(ctx: VideoContext) -> DataLoader[str, DoctorRow | None]:
    async def load(ids: Sequence[str]) -> list[DoctorRow | None]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).doctors_by_ids(ids)
        return [found.get(i) for i in ids]

    return ctx.loader("doctors", lambda: DataLoader(load))


def consultations(ctx: VideoContext) -> DataLoader[str, ConsultationRow | None]:
    async def load(ids: Sequence[str]) -> list[ConsultationRow | None]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).consultations_by_ids(ids)
        return [found.get(i) for i in ids]

    return ctx.loader("consultations", lambda: DataLoader(load))


def upcoming(ctx: VideoContext) -> DataLoader[str, list[ConsultationRow]]:
    async def load(user_ids: Sequence[str]) -> list[list[ConsultationRow]]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).upcoming(user_ids)
        return [found[u] for u in user_ids]

    return ctx.loader("upcoming", lambda: DataLoader(load))


def messages(ctx: VideoContext) -> DataLoader[str, list[MessageRow]]:
    async def load(ids: Sequence[str]) -> list[list[MessageRow]]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).messages(ids)
        return [found[i] for i in ids]

    return ctx.loader("messages", lambda: DataLoader(load))


def recordings(ctx: VideoContext) -> DataLoader[str, list[RecordingRow]]:
    async def load(ids: Sequence[str]) -> list[list[RecordingRow]]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).recordings(ids)
        return [found[i] for i in ids]

    return ctx.loader("recordings", lambda: DataLoader(load))


def prescriptions_of(ctx: VideoContext) -> DataLoader[str, list[PrescriptionRow]]:
    async def load(user_ids: Sequence[str]) -> list[list[PrescriptionRow]]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).prescriptions_of(user_ids)
        return [found[u] for u in user_ids]

    return ctx.loader("prescriptions_of", lambda: DataLoader(load))


def prescriptions(ctx: VideoContext) -> DataLoader[str, PrescriptionRow | None]:
    async def load(ids: Sequence[str]) -> list[PrescriptionRow | None]:
        async with ctx.read() as repo:
            found = await VideoService(repo, ctx.resources.deps).prescriptions_by_ids(ids)
        return [found.get(i) for i in ids]

    return ctx.loader("prescriptions", lambda: DataLoader(load))


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
