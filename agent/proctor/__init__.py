"""Live proctoring of one candidate: media in, smoothed anomalies out to proctors and the API."""
