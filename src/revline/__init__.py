"""Revline: marketing and sales in one self-hosted system."""
