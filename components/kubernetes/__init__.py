"""The per-region Kubernetes platform: EKS cluster, node pools, add-ons and workload identity."""
