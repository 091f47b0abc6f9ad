"""What a run measures: windows of counters, histograms, and the results document."""
