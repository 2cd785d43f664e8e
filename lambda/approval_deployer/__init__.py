"""Deploys the newest Approved model package version when an approval changes."""
