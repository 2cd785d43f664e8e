"""Copies a CDK file asset into a bucket of the app under its content-addressed key, once."""
