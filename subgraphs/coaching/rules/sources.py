"""Where each threshold comes from (see ../shared/design/DOMAIN-REFERENCES.md §1 and §3).

[P] primary/official, [S] secondary, [M] from memory: re-verify before clinical certification.
"""

from __future__ import annotations

from subgraphs.coaching.rules.base import Source

ADA_DIAGNOSIS = Source("ADA-SOC-2025-2", "ADA Standards of Care 2025 §2, Diabetes Care 48(S1):S27, "
                       "doi:10.2337/dc25-S002 (FPG ≥126 / 100-125 mg/dL, A1C ≥6.5 / 5.7-6.4 %, "
                       "random ≥200) [P]")
ADA_GOALS = Source("ADA-SOC-6", "ADA Standards of Care §6 glycemic goals: preprandial 80-130 mg/dL, peak "
                   "postprandial <180 mg/dL, A1C <7 % [P]")
ADA_HYPO = Source("ADA-SOC-6.3", "ADA Standards of Care Table 6.3 / IHSG: level 1 <70 mg/dL (3.9 mmol/L), "
                  "level 2 <54 mg/dL (3.0 mmol/L) [P]")
TIR_CONSENSUS = Source("TIR-2019", "International Consensus on Time in Range, Diabetes Care 2019;42:1593: "
                       ">250 mg/dL level 2 hyperglycaemia [P]")
DKA_2024 = Source("HYPERGLYCEMIC-CRISES-2024", "ADA/EASD/JBDS/AACE/DTS consensus on hyperglycemic crises in "
                  "adults, Diabetes Care 2024;47:1257: β-hydroxybutyrate ≥3.0 mmol/L [M]")
KETONE_LAB = Source("BHB-BANDS", "Blood β-hydroxybutyrate bands: normal <0.6 mmol/L, 0.6-1.5 raised, >1.5 "
                    "risk of ketoacidosis, ≥3.0 DKA range (Laffel, Diabetes Metab Res Rev 1999;15:412; "
                    "laboratory reference ranges) [S/M]; a value of exactly 0.6 is raised")
KSH_2018 = Source("KSH-2018", "Korean Society of Hypertension guidelines 2018 (Clin Hypertens 2019;25:20, "
                  "doi:10.1186/s40885-019-0121-0) and 2022 update (doi:10.1186/s40885-023-00234-9): "
                  "elevated 120-129/<80, prehypertension 130-139 or 80-89, hypertension ≥140 or ≥90, "
                  "grade 2 ≥160 or ≥100 mmHg [P]")
ACC_AHA_2017 = Source("ACC-AHA-2017", "2017 ACC/AHA guideline (Whelton et al., Hypertension 2018;71:1269): "
                      "elevated 120-129/<80, stage 1 130-139 or 80-89, stage 2 ≥140 or ≥90 mmHg [S]")
BP_CRISIS = Source("ACC-AHA-2017-CRISIS",
                   "2017 ACC/AHA guideline: hypertensive crisis >180 and/or >120 mmHg [S]")
BP_CRISIS_KR = Source("ACC-AHA-2017-CRISIS-KR",
                      "Hypertensive crisis >180 and/or >120 mmHg from the 2017 ACC/AHA guideline [S], "
                      "borrowed by the Korean rule set: the project's choice, as the KSH 2018 home-reading "
                      "thresholds name no crisis cut-point")
HEART_RATE = Source("AHA-RESTING-HR",
                    "AHA/NIH: adult resting heart rate 60-100 bpm, trained athletes 40-60 [S]")
BTS_2017 = Source("MPK-SPO2", "ManPaSik's own cut-points, not from a guideline: <95 % recheck, ≤92 % "
                  "contact a clinician, <90 % urgent. Context: BTS oxygen guideline 2017 (Thorax 72 Suppl 1) "
                  "targets 94-98 % for most acutely ill adults [P]; FDA safety communication 2021 on "
                  "oximeter accuracy [S]")
CDC_FEVER = Source("CDC-FEVER", "CDC: fever is a measured temperature ≥38.0 °C (100.4 °F) [S]")
HYPOTHERMIA = Source("HYPOTHERMIA", "Accidental hypothermia: core temperature <35 °C (Brown et al., "
                     "N Engl J Med 2012;367:1930) [M]; a core reading only: skin temperature from a wearable "
                     "is never judged by it")
KSSO_2022 = Source("KSSO-2022", "Korean Society for the Study of Obesity 2022 guideline (J Obes Metab Syndr "
                   "2023;32:121): BMI 23-24.9 pre-obese, ≥25 obesity, ≥30 class II, ≥35 class III [P]")
WHO_BMI = Source("WHO-BMI", "WHO adult BMI: <18.5 underweight, ≥25 overweight, ≥30 obese [P]")
NCEP_ATP3 = Source("NCEP-ATP-III", "NCEP ATP III (JAMA 2001;285:2486): LDL ≥160 high, ≥190 very high; total "
                   "≥240 high; HDL <40 low; triglycerides ≥200 high, ≥500 very high (mg/dL) [M]")
CARTRIDGE_RANGES = Source("MPK-CARTRIDGE-RANGES", "ManPaSik cartridge registry reference ranges "
                          "(MANPASIK-ONE rust-core/manpasik-engine/src/nfc/mod.rs) [P for the project]")
COACH_TREND = Source("MPK-TREND", "ManPaSik coaching heuristic, not a clinical guideline: 7-day averages and "
                     "repeated readings, as guidelines judge on repeated measurements rather than one")
