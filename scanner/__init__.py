"""art32: scan infrastructure for the technical measures of GDPR Article 32."""

__version__ = "0.1.0"
