from .exams import Attempt, Exam, ExamItem, Response
from .items import ITEM_D, Item
from .people import Enrollment, Klass, Organisation, ParentLink, StaffMembership, Student
from .site import ZoneSite

__all__ = [
    "ITEM_D",
    "Attempt",
    "Enrollment",
    "Exam",
    "ExamItem",
    "Item",
    "Klass",
    "Organisation",
    "ParentLink",
    "Response",
    "StaffMembership",
    "Student",
    "ZoneSite",
]
