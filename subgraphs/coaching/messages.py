# ruff: noqa: E501  (a table of texts reads better unwrapped)
"""Insight texts per rule and language (ko, en). Coach wording: what was seen and what to do, never a diagnosis.

Keys are rule ids; trend rules share one template per kind with the measurement type as a parameter. When the
translation subgraph's templates exist, its events can replace these defaults.
"""

from __future__ import annotations

from libs.templates import Overrides, format_text
from subgraphs.coaching.rules import Finding

LANGUAGES = ("ko", "en")

TYPE_NAMES: dict[str, dict[str, str]] = {
    "blood_glucose": {"ko": "혈당", "en": "blood glucose"},
    "blood_pressure": {"ko": "수축기 혈압", "en": "systolic blood pressure"},
    "body_weight": {"ko": "체중", "en": "body weight"},
    "hba1c": {"ko": "당화혈색소", "en": "HbA1c"},
    "ketone": {"ko": "케톤", "en": "ketone"},
    "uric_acid": {"ko": "요산", "en": "Uric acid"},
    "creatinine": {"ko": "크레아티닌", "en": "Creatinine"},
    "vitamin_d": {"ko": "비타민 D", "en": "Vitamin D"},
    "vitamin_b12": {"ko": "비타민 B12", "en": "Vitamin B12"},
    "ferritin": {"ko": "페리틴", "en": "Ferritin"},
    "tsh": {"ko": "갑상선자극호르몬(TSH)", "en": "TSH"},
    "cortisol": {"ko": "코르티솔", "en": "Cortisol"},
    "testosterone": {"ko": "테스토스테론", "en": "Testosterone"},
    "estradiol": {"ko": "에스트라디올", "en": "Estradiol"},
    "crp": {"ko": "C-반응성 단백(CRP)", "en": "CRP"},
    "insulin": {"ko": "인슐린", "en": "Insulin"},
    "skin_temperature": {"ko": "피부 온도", "en": "skin temperature"},
}

# Whom a reference range is for (rules/ranges.py Band.group).
GROUPS: dict[str, dict[str, str]] = {
    "men": {"ko": "성인 남성", "en": "adult men"},
    "women": {"ko": "성인 여성", "en": "adult women"},
    "adults": {"ko": "성인", "en": "adults"},
    "morning": {"ko": "오전(06-10시) 채취", "en": "morning samples (06:00-10:00)"},
    "evening": {"ko": "저녁(18-24시) 채취", "en": "evening samples (18:00-24:00)"},
    "pregnancy": {"ko": "임신 중", "en": "pregnancy"},
    "hs_crp": {"ko": "고감도 CRP(심혈관 위험)", "en": "hs-CRP (cardiovascular risk)"},
    "fasting": {"ko": "공복 채취", "en": "fasting samples"},
    "any_sex": {"ko": "여성과 남성 모두", "en": "both women and men"},
}

# What a rule assumed (Finding.notes), said at the end of the message.
NOTES: dict[str, dict[str, str]] = {
    "adult": {
        "ko": "성인 기준 범위로 비교했습니다. 나이에 맞는 범위를 위해 코칭 프로필에 생년월일을 추가하세요.",
        "en": "We used the adult range: add your birth date to your coaching profile for a range that fits "
              "your age.",
    },
    "sex": {
        "ko": "기준 범위는 성별에 따라 다르며 프로필에 출생 시 성별이 없어 여성과 남성의 범위 모두와 비교했습니다.",
        "en": "Ranges differ by sex and your profile names none, so we compared with the ranges of both.",
    },
}

# rule id -> language -> (title, message)
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "glucose.hypo.level2": {
        "ko": ("심한 저혈당", "혈당 {value} mg/dL은 2단계 저혈당(54 미만)입니다. 지금 당분을 섭취하고 15분 후 다시 "
               "측정하세요. 증상이 계속되면 도움을 요청하세요."),
        "en": ("Severe low blood glucose", "{value} mg/dL ({mmol} mmol/L) is level 2 hypoglycaemia (below 54). "
               "Take fast-acting sugar now and recheck in 15 minutes; get help if symptoms persist."),
    },
    "glucose.hypo.level1": {
        "ko": ("저혈당", "혈당 {value} mg/dL은 1단계 저혈당(70 미만)입니다. 당분 15g을 섭취하고 15분 후 다시 "
               "측정하세요."),
        "en": ("Low blood glucose", "{value} mg/dL ({mmol} mmol/L) is level 1 hypoglycaemia (below 70). Take 15 g "
               "of fast-acting sugar and recheck in 15 minutes."),
    },
    "glucose.fasting.diabetes_range": {
        "ko": ("높은 공복 혈당", "공복 혈당 {value} mg/dL은 당뇨병 진단 기준(126 이상) 범위입니다. 다른 날 다시 "
               "측정하고 의료진과 상담하세요."),
        "en": ("High fasting glucose", "A fasting glucose of {value} mg/dL is in the diabetes range (126 or "
               "more). Repeat it on another day and talk to your clinician."),
    },
    "glucose.fasting.prediabetes_range": {
        "ko": ("공복 혈당 주의", "공복 혈당 {value} mg/dL은 당뇨병 전단계 범위(100-125)입니다."),
        "en": ("Fasting glucose above normal", "A fasting glucose of {value} mg/dL is in the prediabetes range "
               "(100-125)."),
    },
    "glucose.level2_hyperglycaemia": {
        "ko": ("매우 높은 혈당", "혈당 {value} mg/dL은 250을 넘는 2단계 고혈당입니다. 수분을 섭취하고 "
               "다시 측정하세요. 계속 높거나 몸이 안 좋으면 의료진에게 연락하세요."),
        "en": ("Very high blood glucose", "{value} mg/dL ({mmol} mmol/L) is above 250, level 2 hyperglycaemia. "
               "Drink water and recheck; contact your clinician if it stays high or you feel unwell."),
    },
    "glucose.preprandial.above_target": {
        "ko": ("식전 혈당이 목표보다 높음", "식전 혈당 {value} mg/dL은 목표 범위(80-130)보다 높습니다."),
        "en": ("Pre-meal glucose above target", "A pre-meal glucose of {value} mg/dL is above the 80-130 "
               "target."),
    },
    "glucose.postprandial.above_target": {
        "ko": ("식후 혈당이 목표보다 높음", "식후 혈당 {value} mg/dL은 목표(180 미만)보다 높습니다. 식사 구성과 "
               "식후 활동을 살펴보세요."),
        "en": ("After-meal glucose above target", "An after-meal glucose of {value} mg/dL is above the target "
               "of under 180. Look at the meal and activity after it."),
    },
    "glucose.random.high": {
        "ko": ("높은 혈당", "혈당 {value} mg/dL은 200 이상입니다. 공복 상태에서 다시 측정해 보세요."),
        "en": ("High blood glucose", "{value} mg/dL is 200 or more. Measure again while fasting."),
    },
    "hba1c.diabetes_range": {
        "ko": ("높은 당화혈색소", "당화혈색소 {value}%는 당뇨병 범위(6.5% 이상)입니다. 의료진과 상담하세요."),
        "en": ("High HbA1c", "An HbA1c of {value}% is in the diabetes range (6.5% or more). Talk to your "
               "clinician."),
    },
    "hba1c.prediabetes_range": {
        "ko": ("당화혈색소 주의", "당화혈색소 {value}%는 당뇨병 전단계 범위(5.7-6.4%)입니다."),
        "en": ("HbA1c above normal", "An HbA1c of {value}% is in the prediabetes range (5.7-6.4%)."),
    },
    "ketone.dka_range": {
        "ko": ("매우 높은 케톤", "케톤 {value} mmol/L은 3.0 이상입니다. 즉시 의료진에게 연락하세요."),
        "en": ("Very high ketones", "Ketones of {value} mmol/L are 3.0 or more. Contact your clinician now."),
    },
    "ketone.significant": {
        "ko": ("높은 케톤", "케톤 {value} mmol/L은 1.5를 넘습니다. 수분을 섭취하고 2시간 후 다시 측정하세요."),
        "en": ("High ketones", "Ketones of {value} mmol/L are above 1.5. Drink water and recheck in 2 hours."),
    },
    "ketone.raised": {
        "ko": ("케톤 상승", "케톤 {value} mmol/L은 정상(0.6 미만)보다 높습니다."),
        "en": ("Raised ketones", "Ketones of {value} mmol/L are above normal (below 0.6)."),
    },
    "bp.crisis": {
        "ko": ("매우 높은 혈압", "혈압 {sys}/{dia} mmHg는 고혈압 위기 수준입니다. 몇 분 쉬고 다시 측정하세요. "
               "두통, 흉통, 숨참이 있으면 즉시 도움을 요청하세요."),
        "en": ("Very high blood pressure", "{sys}/{dia} mmHg is in the hypertensive-crisis range. Rest a few "
               "minutes and measure again; with headache, chest pain or breathlessness get help now."),
    },
    "bp.ksh.grade2": {
        "ko": ("2기 고혈압 범위", "혈압 {sys}/{dia} mmHg는 대한고혈압학회 기준 2기 고혈압(160/100 이상) 범위입니다. "
               "의료진과 상담하세요."),
        "en": ("Grade 2 hypertension range", "{sys}/{dia} mmHg is grade 2 hypertension by the Korean Society of "
               "Hypertension (160/100 or more). Talk to your clinician."),
    },
    "bp.ksh.grade1": {
        "ko": ("고혈압 범위", "혈압 {sys}/{dia} mmHg는 대한고혈압학회 기준 고혈압(140/90 이상) 범위입니다. "
               "다른 날 두 번 이상 측정해 확인하세요."),
        "en": ("Hypertension range", "{sys}/{dia} mmHg is hypertension by the Korean Society of Hypertension "
               "(140/90 or more). Confirm with readings on two or more occasions."),
    },
    "bp.ksh.isolated_systolic": {
        "ko": ("수축기 고혈압", "혈압 {sys}/{dia} mmHg는 수축기 단독 고혈압(140 이상, 이완기 90 미만) 범위입니다."),
        "en": ("Isolated systolic hypertension", "{sys}/{dia} mmHg is isolated systolic hypertension (140 or "
               "more with diastolic under 90)."),
    },
    "bp.ksh.prehypertension": {
        "ko": ("고혈압 전단계", "혈압 {sys}/{dia} mmHg는 고혈압 전단계(130-139 또는 80-89)입니다."),
        "en": ("Prehypertension", "{sys}/{dia} mmHg is prehypertension by the Korean Society of Hypertension "
               "(130-139 or 80-89)."),
    },
    "bp.ksh.elevated": {
        "ko": ("주의 혈압", "혈압 {sys}/{dia} mmHg는 주의 혈압(120-129/80 미만)입니다."),
        "en": ("Elevated blood pressure", "{sys}/{dia} mmHg is elevated (120-129 and under 80)."),
    },
    "bp.acc_aha.stage2": {
        "ko": ("2단계 고혈압 범위", "혈압 {sys}/{dia} mmHg는 ACC/AHA 기준 2단계 고혈압(140/90 이상)입니다."),
        "en": ("Stage 2 hypertension range", "{sys}/{dia} mmHg is stage 2 hypertension by ACC/AHA 2017 (140/90 "
               "or more). Talk to your clinician."),
    },
    "bp.acc_aha.stage1": {
        "ko": ("1단계 고혈압 범위", "혈압 {sys}/{dia} mmHg는 ACC/AHA 기준 1단계 고혈압(130-139 또는 80-89)입니다."),
        "en": ("Stage 1 hypertension range", "{sys}/{dia} mmHg is stage 1 hypertension by ACC/AHA 2017 "
               "(130-139 or 80-89)."),
    },
    "bp.acc_aha.elevated": {
        "ko": ("상승된 혈압", "혈압 {sys}/{dia} mmHg는 상승 단계(120-129/80 미만)입니다."),
        "en": ("Elevated blood pressure", "{sys}/{dia} mmHg is elevated (120-129 and under 80)."),
    },
    "hr.tachycardia": {
        "ko": ("빠른 안정 시 심박수", "안정 시 심박수 {value}회/분은 100을 넘습니다. 쉬고 다시 측정하세요."),
        "en": ("Fast resting heart rate", "A resting heart rate of {value}/min is above 100. Rest and measure "
               "again."),
    },
    "hr.bradycardia.marked": {
        "ko": ("매우 느린 심박수", "안정 시 심박수 {value}회/분은 40 미만입니다. 어지럽거나 피곤하면 의료진과 "
               "상담하세요."),
        "en": ("Very slow heart rate", "A resting heart rate of {value}/min is below 40. Talk to your clinician "
               "if you feel dizzy or tired."),
    },
    "hr.bradycardia": {
        "ko": ("느린 심박수", "안정 시 심박수 {value}회/분은 60 미만입니다. 운동을 많이 하는 사람에게는 흔합니다."),
        "en": ("Slow heart rate", "A resting heart rate of {value}/min is below 60, which is common in trained "
               "athletes."),
    },
    "spo2.urgent": {
        "ko": ("매우 낮은 산소포화도", "산소포화도 {value}%는 90% 미만입니다. 즉시 의료진에게 연락하세요."),
        "en": ("Very low oxygen saturation", "An SpO2 of {value}% is below 90%. Contact a clinician now."),
    },
    "spo2.low": {
        "ko": ("낮은 산소포화도", "산소포화도 {value}%는 92% 이하입니다. 다시 측정하고 의료진과 상담하세요."),
        "en": ("Low oxygen saturation", "An SpO2 of {value}% is 92% or less. Recheck and contact your "
               "clinician."),
    },
    "spo2.recheck": {
        "ko": ("산소포화도 재측정", "산소포화도 {value}%는 95% 미만입니다. 손을 따뜻하게 하고 다시 측정하세요."),
        "en": ("Recheck oxygen saturation", "An SpO2 of {value}% is below 95%. Warm your hands and measure "
               "again."),
    },
    "temperature.fever": {
        "ko": ("발열", "체온 {value}°C는 발열(38.0°C 이상)입니다."),
        "en": ("Fever", "A temperature of {value} °C is a fever (38.0 °C or more)."),
    },
    "temperature.hypothermia": {
        "ko": ("저체온", "체온 {value}°C는 35°C 미만입니다. 측정을 확인하고 몸을 따뜻하게 하세요."),
        "en": ("Low body temperature", "A temperature of {value} °C is below 35 °C. Check the reading and warm "
               "up."),
    },
    "bmi.underweight": {
        "ko": ("저체중", "체질량지수 {bmi}는 18.5 미만입니다."),
        "en": ("Underweight", "A BMI of {bmi} is below 18.5."),
    },
    "bmi.ksso.preobese": {
        "ko": ("비만 전단계", "체질량지수 {bmi}는 대한비만학회 기준 비만 전단계(23-24.9)입니다."),
        "en": ("Pre-obesity", "A BMI of {bmi} is pre-obesity by the Korean cut-offs (23-24.9)."),
    },
    "bmi.ksso.obesity1": {
        "ko": ("1단계 비만", "체질량지수 {bmi}는 대한비만학회 기준 1단계 비만(25-29.9)입니다."),
        "en": ("Obesity class I", "A BMI of {bmi} is obesity class I by the Korean cut-offs (25-29.9)."),
    },
    "bmi.ksso.obesity2": {
        "ko": ("2단계 이상 비만", "체질량지수 {bmi}는 대한비만학회 기준 2단계 이상 비만(30 이상)입니다."),
        "en": ("Obesity class II or more", "A BMI of {bmi} is obesity class II or more by the Korean cut-offs "
               "(30 or more)."),
    },
    "bmi.who.overweight": {
        "ko": ("과체중", "체질량지수 {bmi}는 과체중(25-29.9)입니다."),
        "en": ("Overweight", "A BMI of {bmi} is overweight (25-29.9)."),
    },
    "bmi.who.obese": {
        "ko": ("비만", "체질량지수 {bmi}는 비만(30 이상)입니다."),
        "en": ("Obesity", "A BMI of {bmi} is in the obese range (30 or more)."),
    },
    "marker.above_range": {
        "ko": ("기준 범위보다 높음", "{name} {value} {unit}은(는) {group}의 기준 범위({range} {unit})보다 높습니다."),
        "en": ("Above the reference range", "{name} {value} {unit} is above the reference range for {group} "
               "({range} {unit})."),
    },
    "marker.below_range": {
        "ko": ("기준 범위보다 낮음", "{name} {value} {unit}은(는) {group}의 기준 범위({range} {unit})보다 낮습니다."),
        "en": ("Below the reference range", "{name} {value} {unit} is below the reference range for {group} "
               "({range} {unit})."),
    },
    "marker.profile_needed": {
        "ko": ("출생 시 성별을 알려 주세요", "{name}의 기준 범위는 여성과 남성이 다릅니다. {value} {unit}을(를) 알맞은 "
               "범위와 비교할 수 있도록 코칭 프로필에 출생 시 성별을 추가하세요."),
        "en": ("Add your sex at birth", "{name} ranges differ for women and men. Add your sex at birth to your "
               "coaching profile so we can compare {value} {unit} with the range that fits you."),
    },
    "marker.no_range.under_18": {
        "ko": ("나이에 맞는 기준 범위 없음", "18세 미만의 {name} 기준 범위는 나이에 따라 다릅니다. {value} {unit}은(는) "
               "성인 범위와 비교하지 않았습니다. 의료진과 상의하세요."),
        "en": ("No range for your age", "{name} ranges under 18 depend on age, so {value} {unit} was not "
               "compared with an adult range. Ask your clinician."),
    },
    "marker.no_range.pregnancy": {
        "ko": ("임신 중 기준 범위", "임신 중에는 {name} 기준 범위가 임신 시기에 따라 달라집니다. {value} {unit}은(는) "
               "비임신 범위와 비교하지 않았습니다. 의료진과 상의하세요."),
        "en": ("Ranges change in pregnancy", "Pregnancy changes the {name} range by trimester, so {value} "
               "{unit} was not compared with a non-pregnant range. Ask your clinician."),
    },
    "marker.no_range.time_of_day": {
        "ko": ("이 시간대의 기준 범위 없음", "{name}은(는) 하루 동안 변하며 기준 범위는 오전(06-10시) 또는 저녁(18-24시) "
               "채취에만 있습니다. 이 시간의 {value} {unit}은(는) 비교하지 않았습니다."),
        "en": ("No range at this hour", "{name} changes through the day; its ranges hold for morning "
               "(06:00-10:00) or evening (18:00-24:00) samples, so {value} {unit} at this hour was not compared."),
    },
    "marker.no_range.context": {
        "ko": ("공복 측정이 필요합니다", "{name} 기준 범위는 공복 채취에만 해당합니다. {value} {unit}은(는) 비교하지 "
               "않았습니다. 공복 상태에서 측정해 보세요."),
        "en": ("Measure while fasting", "The {name} range holds for fasting samples only, so {value} {unit} "
               "was not compared. Measure while fasting to compare it."),
    },
    "marker.no_range.cycle": {
        "ko": ("한 번의 측정으로 판단하지 않음", "여성의 {name}은(는) 월경 주기와 폐경에 따라 크게 달라 {value} {unit} "
               "한 번의 측정은 기준 범위와 비교하지 않았습니다."),
        "en": ("Not judged from one reading", "In women {name} moves through the menstrual cycle and falls "
               "after menopause, so one reading of {value} {unit} is not compared with a range."),
    },
    "marker.no_range.no_range": {
        "ko": ("기준 범위 없음", "{name} {value} {unit}에 맞는 기준 범위가 없어 비교하지 않았습니다."),
        "en": ("No reference range", "No reference range fits {name} {value} {unit}, so it was not compared."),
    },
    "lipid.ldl.very_high": {
        "ko": ("매우 높은 LDL 콜레스테롤", "LDL 콜레스테롤 {value} mg/dL은 190 이상입니다. 의료진과 상담하세요."),
        "en": ("Very high LDL cholesterol", "LDL cholesterol of {value} mg/dL is 190 or more. Talk to your "
               "clinician."),
    },
    "lipid.ldl.high": {
        "ko": ("높은 LDL 콜레스테롤", "LDL 콜레스테롤 {value} mg/dL은 160 이상입니다."),
        "en": ("High LDL cholesterol", "LDL cholesterol of {value} mg/dL is 160 or more."),
    },
    "lipid.total.high": {
        "ko": ("높은 총콜레스테롤", "총콜레스테롤 {value} mg/dL은 240 이상입니다."),
        "en": ("High total cholesterol", "Total cholesterol of {value} mg/dL is 240 or more."),
    },
    "lipid.hdl.low": {
        "ko": ("낮은 HDL 콜레스테롤", "HDL 콜레스테롤 {value} mg/dL은 40 미만입니다."),
        "en": ("Low HDL cholesterol", "HDL cholesterol of {value} mg/dL is below 40."),
    },
    "lipid.tg.very_high": {
        "ko": ("매우 높은 중성지방", "중성지방 {value} mg/dL은 500 이상입니다. 의료진과 상담하세요."),
        "en": ("Very high triglycerides", "Triglycerides of {value} mg/dL are 500 or more. Talk to your "
               "clinician."),
    },
    "lipid.tg.high": {
        "ko": ("높은 중성지방", "중성지방 {value} mg/dL은 200 이상입니다."),
        "en": ("High triglycerides", "Triglycerides of {value} mg/dL are 200 or more."),
    },
    "trend.rising_average": {
        "ko": ("{name} 상승 추세", "최근 7일 평균 {name}이(가) {before}에서 {now}(으)로 {percent}% 올랐습니다."),
        "en": ("Rising {name}", "Your 7-day average {name} rose from {before} to {now} ({percent}% up)."),
    },
    "trend.repeated_highs": {
        "ko": ("같은 시간대의 반복된 높은 {name}", "최근 2주 동안 {from}-{to} 사이에 높은 {name}이(가) "
               "{count}번 측정되었습니다. 이 시간대의 식사, 약, 활동을 살펴보세요."),
        "en": ("Repeated high {name} at the same time", "{count} high {name} readings between {from} and {to} "
               "in the last two weeks. Look at meals, medication and activity around that time."),
    },
}


def template_key(rule_id: str) -> tuple[str, str | None]:
    """Trend rule ids end in the measurement type: `trend.rising_average.blood_glucose`."""
    if rule_id.startswith("trend."):
        kind, _, type_ = rule_id.rpartition(".")
        return kind, type_
    return rule_id, None


def override_ids(rule_id: str) -> list[str]:
    key, _ = template_key(rule_id)
    return [f"coaching.{key}.title", f"coaching.{key}.message"]


def render(f: Finding, measurement_type: str, overrides: Overrides | None = None) -> dict[str, dict[str, str]]:
    """{"ko": {"title", "message"}, "en": {...}} for one finding. `overrides` ((template id, language) -> body,
    from the translation subgraph) win over TEMPLATES."""
    key, type_ = template_key(f.rule_id)
    type_ = type_ or measurement_type.lower()
    templates = TEMPLATES[key]
    title_id, message_id = override_ids(f.rule_id)
    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        params = dict(f.params)
        params["name"] = TYPE_NAMES.get(type_, {}).get(lang, type_.replace("_", " "))
        if "group" in params:
            params["group"] = GROUPS.get(params["group"], {}).get(lang, params["group"])
            params["range"] = _range(params.get("lower", ""), params.get("upper", ""), lang)
        title, message = templates[lang]
        text = format_text((overrides or {}).get((message_id, lang), message), message, params)
        notes = [NOTES[n][lang] for n in f.notes if n in NOTES]
        out[lang] = {
            "title": format_text((overrides or {}).get((title_id, lang), title), title, params),
            "message": " ".join([text, *notes]),
        }
    return out


def _range(lower: str, upper: str, lang: str) -> str:
    if lower and upper:
        return f"{lower}-{upper}"
    if upper:
        return f"{upper} 이하" if lang == "ko" else f"up to {upper}"
    return f"{lower} 이상" if lang == "ko" else f"{lower} or more"
