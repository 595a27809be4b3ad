"""The Scrapy project: one generic news spider driven by declarative site profiles."""

__version__ = "0.1.0"
