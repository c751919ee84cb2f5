"""The FHIR R4 (UK Core) identifiers, extensions and codes the hub reads and writes.

Standard ones come from UK Core and HL7; the hub's own (`urn:telecare-hub:…`) carry what councils keep
on the record but no standard profile has a place for: key safe code, access notes, communication needs,
a responder's call order, availability and whether they hold a key. README.md in this package lists them.
"""

from __future__ import annotations

# Identifier systems on Patient. The home identifier's system is a setting (FHIR_HOME_IDENTIFIER_SYSTEM).
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
MOSAIC_ID_SYSTEM = "urn:telecare-hub:mosaic-person-id"

# Interpreter needed: HL7's extension, which UK Core places on Patient.communication; also read on the
# Patient itself and inside the older UK Core NHSCommunication complex extension.
INTERPRETER_REQUIRED_EXTENSION = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
UKCORE_NHS_COMMUNICATION_EXTENSION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"

# The hub's own Patient extensions (valueString).
KEY_SAFE_CODE_EXTENSION = "urn:telecare-hub:fhir:key-safe-code"
ACCESS_NOTES_EXTENSION = "urn:telecare-hub:fhir:access-notes"
COMMUNICATION_NEEDS_EXTENSION = "urn:telecare-hub:fhir:communication-needs"

# The hub's own RelatedPerson extensions.
CALL_ORDER_EXTENSION = "urn:telecare-hub:fhir:call-order"  # valuePositiveInt: 1 is called first
AVAILABILITY_EXTENSION = "urn:telecare-hub:fhir:availability"  # valueString: "weekdays after 18:00"
HOLDS_KEY_EXTENSION = "urn:telecare-hub:fhir:holds-key"  # valueBoolean

# RelatedPerson.relationship: HL7 v3 RoleCode for family and neighbours; the hub's own codes for the
# roles RoleCode has none for (warden, mobile responder team, paid carer).
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
RESPONDER_KIND_SYSTEM = "urn:telecare-hub:responder-kind"
ROLE_CODE_KINDS = {"NBOR": "neighbour", "FRND": "friend"}
FAMILY_ROLE_CODES = frozenset({
    "FAMMEMB", "CHILD", "DAU", "DAUC", "SON", "SONC", "STPCHLD", "CHLDINLAW", "DAUINLAW", "SONINLAW", "SPS",
    "WIFE", "HUSB", "DOMPART", "SIB", "SIS", "BRO", "NIECE", "NEPHEW", "GRNDCHILD", "GRNDDAU", "GRNDSON",
    "COUSN", "AUNT", "UNCLE", "PRN", "MTH", "FTH", "EXT",
})

SNOMED_SYSTEM = "http://snomed.info/sct"

# Write-back of resolved alerts (Communication.identifier), so a retried delivery is created once.
ALERT_IDENTIFIER_SYSTEM = "urn:telecare-hub:alert"
