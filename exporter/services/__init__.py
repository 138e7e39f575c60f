"""The list services the exporter polls, in the order their families are exposed.

Each is a `ListService` (services/service.py): its request, payload, mapping and families.
"""

from __future__ import annotations

from typing import Any

from exporter.services.oms_groups import SERVICE as OMS_GROUPS
from exporter.services.oms_sync import SERVICE as OMS_SYNC
from exporter.services.oms_tasks import SERVICE as OMS_TASKS
from exporter.services.service import ListService
from exporter.services.sms_overview import SERVICE as SMS_OVERVIEW
from exporter.services.sms_projects import SERVICE as SMS_PROJECTS
from exporter.services.sms_sources import SERVICE as SMS_SOURCES
from exporter.services.sms_tasks import SERVICE as SMS_TASKS

SERVICES: tuple[ListService[Any, Any], ...] = (
    SMS_TASKS,
    SMS_SOURCES,
    OMS_TASKS,
    # the objects a wave is made of (DESIGN.md section 12)
    SMS_PROJECTS,
    SMS_OVERVIEW,
    OMS_GROUPS,
    OMS_SYNC,
)
