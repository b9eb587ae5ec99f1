from .exams import Attempt, Exam, ExamItem, Response
from .items import ITEM_D, Item
from .people import ClassTeacher, Enrollment, Klass, Organisation, ParentLink, StaffMembership, Student
from .rooms import LiveRoom
from .site import ZoneSite

__all__ = [
    "ITEM_D",
    "Attempt",
    "ClassTeacher",
    "Enrollment",
    "Exam",
    "ExamItem",
    "Item",
    "Klass",
    "LiveRoom",
    "Organisation",
    "ParentLink",
    "Response",
    "StaffMembership",
    "Student",
    "ZoneSite",
]
