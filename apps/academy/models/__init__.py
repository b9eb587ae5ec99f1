from .attendance import Attendance
from .billing import Allocation, Invoice, InvoiceCounter, InvoiceLine, InvoiceRun, Payment, Refund
from .consultations import Consultation
from .enrollment import Enrollment
from .feedback import Feedback, Video
from .people import Coach, Family, Guardian, GuardianLink, Student
from .schedule import Class, Holiday, Programme, Session, TimetableSlot
from .settings import AcademySettings
from .vindex import VIndexSnapshot, VIndexWeights

__all__ = [
    "AcademySettings",
    "Allocation",
    "Attendance",
    "Class",
    "Coach",
    "Consultation",
    "Enrollment",
    "Family",
    "Feedback",
    "Guardian",
    "GuardianLink",
    "Holiday",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "InvoiceRun",
    "Payment",
    "Programme",
    "Refund",
    "Session",
    "Student",
    "TimetableSlot",
    "VIndexSnapshot",
    "VIndexWeights",
    "Video",
]
