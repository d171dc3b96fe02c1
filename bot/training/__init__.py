"""Guided training: cohorts that join a scenario by code, their anonymous results, and the trainer's report.

Modules: `codes` (join codes), `cohorts` (create one, open its results), `joining` (JOIN CODE),
`participation` (the conversation hook), `results` (the report's numbers), `charts` (inline SVG),
`report_page` and `report_files` (HTML and CSV), `links` (signed links), `routes` (the live page).
"""

__all__: list[str] = []
