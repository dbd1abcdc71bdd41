"""A complete, realistic request of every kind: the builders the engine tests start from."""

from __future__ import annotations

from hanoix.convention import RequestKind

_MLA_CORE: dict[str, object] = {
    "requesting_authority": "Ministry of Justice of Viet Nam, International Cooperation Dept",
    "subject_and_nature": "criminal investigation into ransomware attacks on hospitals",
    "conducting_authority": "Supreme People's Procuracy, Department 1, investigating",
    "summary_of_facts": "Between March and May 2026 three hospital networks were encrypted.",
    "assistance_sought": "production of subscriber information for two accounts",
    "particular_procedure": "certified copies with a declaration of authenticity",
    "persons_concerned": ["Nguyen Van A, Vietnamese national, believed in Austria"],
    "purpose": "to identify the operators of the ransomware infrastructure",
}

_REAL_TIME: dict[str, object] = {
    "requesting_authority": "Cyber Police Department, Ministry of Public Security",
    "summary_of_facts": "Ongoing extortion campaign; investigation under Art. 7 offences",
    "data_sought": "communications of IP 192.0.2.10 and their link to the extortion",
    "owner_or_location": "hosted by a provider in Vienna",
    "necessity": "the servers rotate every few days; only live collection identifies peers",
    "collection_period": "30 days, the expected lifetime of the current infrastructure",
}

EXAMPLES: dict[RequestKind, dict[str, object]] = {
    RequestKind.MLA: {**_MLA_CORE, "assistance_purposes": ["take-evidence"]},
    RequestKind.PRESERVATION: {
        "requesting_authority": "Cyber Police Department, Ministry of Public Security",
        "offence": "illegal access (Art. 7) and data interference (Art. 9)",
        "summary_of_facts": "Intrusion into a hospital network on 2 May 2026.",
        "data_to_preserve": "logs and mailbox content of account ops@example.at",
        "relationship_to_offence": "the account received the exfiltrated data",
        "custodian_or_location": "Example Mail GmbH, Vienna",
        "necessity": "the provider deletes logs after 30 days",
        "intent_to_request_mla": True,
        "confidentiality": True,
    },
    RequestKind.TRAFFIC_DISCLOSURE: {
        "disclosing_authority": "Federal Criminal Police Office, Austria",
        "preservation_reference": "AUT-PRES-2026-0042",
        "traffic_data": ["198.51.100.7 -> 203.0.113.9, 2026-05-02T10:00:00Z, provider in NLD"],
    },
    RequestKind.STORED_DATA_ACCESS: {
        **_MLA_CORE,
        "data_sought": "mailbox ops@example.at held by Example Mail GmbH",
        "preservation_reference": "AUT-PRES-2026-0042",
        "grounds_for_expedition": "the account owner may delete the mailbox",
    },
    RequestKind.REAL_TIME_TRAFFIC: dict(_REAL_TIME),
    RequestKind.INTERCEPTION: dict(_REAL_TIME),
    RequestKind.EXTRADITION: {
        "requesting_authority": "Ministry of Justice of Viet Nam",
        "person_sought": "Nguyen Van A, born 1990, Vietnamese national, in Vienna",
        "offence": "ICT-system-related fraud, Penal Code art. 290",
        "maximum_penalty": "20 years",
        "summary_of_facts": "Defrauded 300 victims of 2 million USD through a fake exchange.",
        "warrant_or_judgment": "arrest warrant 12/2026 of the Hanoi People's Court",
    },
    RequestKind.SENTENCED_PERSON_TRANSFER: {
        "requesting_authority": "Ministry of Public Security",
        "sentenced_person": "Tran Thi B, Vietnamese national, held in Graz",
        "judgment_and_sentence": "Graz Regional Court, 4 years; 3 years left",
        "summary_of_facts": "Convicted of illegal interception (Art. 8).",
    },
    RequestKind.PROCEEDINGS_TRANSFER: {
        "requesting_authority": "Supreme People's Procuracy",
        "subject_and_nature": "prosecution for misuse of devices",
        "summary_of_facts": "The accused sold credential-stealing kits from Vienna.",
        "persons_concerned": ["Le Van C"],
        "reasons_for_transfer": "the accused and the evidence are in Austria",
    },
    RequestKind.SPONTANEOUS_INFORMATION: {
        "sending_authority": "Federal Criminal Police Office, Austria",
        "information": "A botnet controller seized in Vienna lists 40 victims in Viet Nam.",
        "use_conditions": "confidential until 1 March 2027",
    },
    RequestKind.LAW_ENFORCEMENT_COOPERATION: {
        "requesting_authority": "Cyber Police Department",
        "subject_of_inquiry": "fraud ring using mule accounts",
        "assistance_sought": "identify the holders of three mule accounts",
        "purpose": "to trace the movement of proceeds",
    },
    RequestKind.JOINT_INVESTIGATION: {
        "requesting_authority": "Supreme People's Procuracy",
        "subject_and_nature": "investigation into a child sexual exploitation network (Art. 14)",
        "summary_of_facts": "Material is produced in one State and distributed from another.",
        "participants": ["VNM: Cyber Police", "AUT: Federal Criminal Police Office"],
        "territory": ["VNM", "AUT"],
        "purpose": "to identify victims and offenders in both States",
    },
    RequestKind.CONFISCATION: {
        "requesting_authority": "Ministry of Justice of Viet Nam",
        "subject_and_nature": "confiscation of proceeds of ICT-related fraud",
        "summary_of_facts": "Proceeds were moved to a bank account in Vienna.",
        "measure_sought": "execute-foreign-order",
        "property": "account AT00 0000 0000 0000 0000 at Example Bank, about 1.2 million EUR",
        "confiscation_order": "judgment 7/2026 of the Hanoi People's Court, certified copy",
    },
}
