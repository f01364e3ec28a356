"""cnnapp's benchmarks: every figure is a ratio against its baseline measured in the same run."""
