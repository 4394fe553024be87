"""capex-tracker: announced AI-infrastructure spending, normalized to annual USD.

The package holds everything but the Streamlit UI: the domain model, the database,
validation, normalization, CSV import/export and the ``capex`` command line.
"""

__version__ = "0.2.0"
