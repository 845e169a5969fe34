"""The security baseline: the audit trail (global stack), threat detection and
posture per region, and the encrypted topics findings and alerts are routed to."""

from components.security.audit import AuditTrail, AuditTrailArgs
from components.security.detection import ThreatDetection, ThreatDetectionArgs
from components.security.notifications import SEVERITIES, AlertTopics, AlertTopicsArgs

__all__ = [
    "SEVERITIES",
    "AlertTopics",
    "AlertTopicsArgs",
    "AuditTrail",
    "AuditTrailArgs",
    "ThreatDetection",
    "ThreatDetectionArgs",
]
