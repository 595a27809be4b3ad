"""Declarative per-publisher site profiles (TOML), loaded and validated into `SiteProfile`."""

from .loader import ProfileError, available_profiles, load_profile, parse_profile
from .profile import ChromeRules, PaywallRules, Selectors, SimilarRules, SiteProfile

__all__ = [
    "ChromeRules", "PaywallRules", "ProfileError", "Selectors", "SimilarRules", "SiteProfile",
    "available_profiles", "load_profile", "parse_profile",
]
