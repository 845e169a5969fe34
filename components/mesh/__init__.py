"""The service mesh layer: Istio and the ingress NLB (ServiceMesh)."""

from components.mesh.service_mesh import ServiceMesh, ServiceMeshArgs

__all__ = ["ServiceMesh", "ServiceMeshArgs"]
