"""The shared kernel of the components: IAM documents, Kubernetes objects, hardened buckets,
naming, tagging, the KMS key policy and the AWS scope (account, partition, region)."""
