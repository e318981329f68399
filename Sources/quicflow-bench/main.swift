print("quicflow-bench: not yet")
