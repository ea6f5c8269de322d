"""The permit catalogue: admin-authored permit types (schema, loading with file:line errors, JDM).

Everything else reads the catalogue through this surface; it depends on nothing but the core.
"""

from __future__ import annotations

from cases.catalogue.form_layout import FormField, FormFieldKind, FormLayout, FormPage
from cases.catalogue.form_yaml import dump_form_layout
from cases.catalogue.glossary import (
    DOCUMENT_TYPE_SUFFIX,
    UNKNOWN_KIND,
    document_type_field,
    glossary_for,
    in_language,
)
from cases.catalogue.letter_policy import LetterLanguages, LetterPolicy
from cases.catalogue.loading import (
    get_permit_type,
    line_at,
    load_catalogue,
    load_permit,
    load_permit_type,
    load_ruleset,
    yaml_lines,
)
from cases.catalogue.request_policy import RequestPolicy
from cases.catalogue.review_policy import (
    ConsistencySettings,
    DuplicateSettings,
    ReviewPolicy,
    RiskScoring,
)
from cases.catalogue.schema import (
    ApprovalRule,
    ComputedValue,
    DecisionTable,
    DocumentKind,
    DocumentRequirement,
    FieldSpec,
    FieldType,
    Permit,
    PermitType,
    Rule,
    Ruleset,
    RuleTest,
    TableRow,
    Text,
)

__all__ = [
    "DOCUMENT_TYPE_SUFFIX",
    "UNKNOWN_KIND",
    "ApprovalRule",
    "ComputedValue",
    "ConsistencySettings",
    "DecisionTable",
    "DocumentKind",
    "DocumentRequirement",
    "DuplicateSettings",
    "FieldSpec",
    "FieldType",
    "FormField",
    "FormFieldKind",
    "FormLayout",
    "FormPage",
    "LetterLanguages",
    "LetterPolicy",
    "Permit",
    "PermitType",
    "RequestPolicy",
    "ReviewPolicy",
    "RiskScoring",
    "Rule",
    "RuleTest",
    "Ruleset",
    "TableRow",
    "Text",
    "document_type_field",
    "dump_form_layout",
    "get_permit_type",
    "glossary_for",
    "in_language",
    "line_at",
    "load_catalogue",
    "load_permit",
    "load_permit_type",
    "load_ruleset",
    "yaml_lines",
]
