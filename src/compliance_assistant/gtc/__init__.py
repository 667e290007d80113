"""GTC verification: sources (Smart Search client, local library), cache layers, clause
extraction and the ``gtc`` guideline checker. See docs/gtc.md.

The pipeline uses :class:`GtcVerifier` (it implements ``engine.ports.GtcChecker``), built by
:func:`~compliance_assistant.gtc.factory.build_gtc_services` from settings or by
:meth:`GtcVerifier.from_library` for a library folder.
"""

from compliance_assistant.gtc.checker import LOCAL_TENANT, GtcVerifier

__all__ = ["LOCAL_TENANT", "GtcVerifier"]
