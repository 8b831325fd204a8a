from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkKind(models.TextChoices):
    """What a contractor does for the city (A12)."""

    DEVELOPMENT = "development", _("Development")
    OPERATION = "operation", _("Operation")
    MAINTENANCE = "maintenance", _("Maintenance")


class ContractStatus(models.TextChoices):
    """A contract is registered as a draft, activated once the IT division head has answered the
    consultation (A12.2), and ends with its period or earlier."""

    DRAFT = "draft", _("Not yet active")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class ChecklistItem(models.TextChoices):
    """The security measures required of every contractor, subcontractors included (A12.1(1)(2))."""

    CONFIDENTIALITY = "confidentiality", _("Confidentiality agreement")
    PERSONAL_INFORMATION = "personal_information", _("Handling of personal information")
    STAFF_LIST = "staff_list", _("List of the staff doing the work")
    REMOTE_MAINTENANCE = "remote_maintenance", _("Permission for remote maintenance")
    INCIDENT_REPORTING = "incident_reporting", _("Incident reporting")
    DATA_RETURN = "data_return", _("Return or deletion of data at the end")


class CheckState(models.TextChoices):
    PENDING = "pending", _("Not yet confirmed")
    CONFIRMED = "confirmed", _("Confirmed")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ConsultationSubject(models.TextChoices):
    """What the IT division head is consulted on."""

    OUTSOURCING = "outsourcing", _("New outsourcing (Art. 12(2))")
    EXTERNAL_SERVICE = "external_service", _("New external service (Art. 13(2))")


class ConsultationAnswer(models.TextChoices):
    """The IT division head's answer."""

    AGREE = "agree", _("Agree")
    AGREE_WITH_CONDITIONS = "conditions", _("Agree with conditions")
    OBJECT = "object", _("Object")


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned (not yet in use)")
    IN_USE = "in_use", _("In use")
    ENDED = "ended", _("No longer used")


class EvidenceKind(models.TextChoices):
    """Evidence of an external service's reliability (A13.1(5))."""

    AUDIT_REPORT = "audit_report", _("Audit report")
    ISMAP = "ismap", _("ISMAP registration")
    ISO27001 = "iso27001", _("ISO/IEC 27001 certification")
    ISO27017 = "iso27017", _("ISO/IEC 27017 certification")
    SOC2 = "soc2", _("SOC 2 report")
    OTHER = "other", _("Other")
