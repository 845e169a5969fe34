"""Foundation components: the key ring, the log archive, the network and the IPAM address plan."""
