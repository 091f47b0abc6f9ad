"""The modelled cloud: regions and their latencies, instance sizes and prices."""
