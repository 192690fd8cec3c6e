"""Video's domain errors (subclasses of the shared vocabulary), each naming what a client reacts to."""

from __future__ import annotations

from libs.errors import BadUserInput, Conflict, Forbidden, NotFound


class ConsultationNotFound(NotFound):
    """Also someone else's consultation: it does not exist for a third user."""

    def __init__(self, consultation_id: str, field: str = "id") -> None:
        super().__init__("consultation not found", field=field, consultationId=consultation_id)


class DoctorNotFound(NotFound):
    def __init__(self, doctor_id: str, field: str = "doctorId") -> None:
        super().__init__("doctor not found", field=field, doctorId=doctor_id)


class PrescriptionNotFound(NotFound):
    def __init__(self, prescription_id: str, field: str = "id") -> None:
        super().__init__("prescription not found", field=field, prescriptionId=prescription_id)


class InvalidTransition(Conflict):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a {current} consultation cannot become {target}", status=current, target=target)


class SlotTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("the doctor already has a consultation at that time", field="scheduledAt")


class NotEligible(Forbidden):
    """Korean telemedicine rules: the patient is not a follow-up patient of the doctor's clinic."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, field="doctorId", reason=reason)


class OutsideWindow(Conflict):
    def __init__(self, message: str, *, opens_at: str | None = None) -> None:
        super().__init__(message, opensAt=opens_at)


class InvalidInput(BadUserInput):
    pass
