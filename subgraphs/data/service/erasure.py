"""Right to erasure (PIPA Art. 21, 36): on `user.deletion_requested` the person's chained content and exports
go; their blocks keep digest and links (no health data) so the chain still verifies, and the audit log stays
(the law keeps access records: PIPA safety measures Art. 8). Every subgraph holding health data erases its own
copy on the same event (measurement: subgraphs/measurement/erasure.py)."""

from __future__ import annotations

from libs.audit import AccessAction, access
from libs.events import CloudEvent
from libs.events.streams import USER_DELETION_REQUESTED
from subgraphs.data.repository import DataRepository
from subgraphs.data.service.chain import ChainService
from subgraphs.data.service.deps import CONSUMER_GROUP, DataDeps


class ErasureService:
    def __init__(self, repo: DataRepository, deps: DataDeps) -> None:
        self.repo = repo
        self.deps = deps

    async def handle(self, event: CloudEvent) -> bool:
        user_id = event.data.get("userId") or event.subject
        if event.type != USER_DELETION_REQUESTED or not isinstance(user_id, str):
            return False
        if await self.repo.already_processed(CONSUMER_GROUP, event.id):
            return False
        now = self.deps.clock()
        blocks = await self.repo.erase_blocks(user_id, now)
        exports = await self.repo.delete_exports(user_id)
        await ChainService(self.repo, self.deps).record_own_access(
            access(user_id, user_id, AccessAction.ERASE, f"blocks={blocks} exports={exports}", now)
        )
        self.repo.record_processed(CONSUMER_GROUP, event)
        return True
