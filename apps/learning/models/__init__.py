from .people import Enrollment, Klass, Organisation, ParentLink, StaffMembership, Student

__all__ = ["Enrollment", "Klass", "Organisation", "ParentLink", "StaffMembership", "Student"]
