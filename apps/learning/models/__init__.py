from .people import Enrollment, Klass, Organisation, ParentLink, StaffMembership, Student
from .site import ZoneSite

__all__ = ["Enrollment", "Klass", "Organisation", "ParentLink", "StaffMembership", "Student", "ZoneSite"]
