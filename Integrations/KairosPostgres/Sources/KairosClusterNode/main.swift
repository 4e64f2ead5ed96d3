print("kairos-cluster-node: not built yet")
