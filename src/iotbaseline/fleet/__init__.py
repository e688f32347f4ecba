"""Many images at once: expand the inputs, skip what the store already holds, run the scans on
a Dask cluster and store each result as it arrives (so an interrupted batch resumes)."""
