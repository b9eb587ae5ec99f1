"""Demo content of each learning zone (called by `manage.py seed_demo` after the role
logins of apps/accounts/demo.py): the zone's landing page, a demo school with a class, the
teacher/org_admin/student/parent logins placed in it (the parent's link approved), a small
live item bank of the zone's field with a few pretest items, one adaptive exam (CAT) and
one fixed-form exam. Idempotent: a second run changes nothing."""

from __future__ import annotations

import random
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Exam, Item, Organisation, ParentLink, StaffMembership, Student, ZoneSite
from .services import exams, items, links, people

# Term → definition pairs per knowledge area (questions both ways); "math" areas get
# generated arithmetic and algebra.
FACTS: dict[str, list[tuple[str, str]]] = {
    "영어 어휘": [
        ("abundant", "풍부한"),
        ("reluctant", "꺼리는"),
        ("inevitable", "피할 수 없는"),
        ("temporary", "일시적인"),
        ("significant", "중요한"),
        ("obscure", "모호한"),
        ("diligent", "부지런한"),
        ("fragile", "깨지기 쉬운"),
    ],
    "국어 문법": [
        ("형태소", "뜻을 가진 가장 작은 말의 단위"),
        ("음운", "말의 뜻을 구별하는 소리의 단위"),
        ("어간", "용언이 활용할 때 변하지 않는 부분"),
        ("어미", "용언이 활용할 때 변하는 부분"),
        ("조사", "체언 뒤에 붙어 문법적 관계를 나타내는 말"),
        ("관형어", "체언을 꾸며 주는 문장 성분"),
    ],
    "정보처리": [
        ("정규화", "데이터 중복을 줄이도록 릴레이션을 분해하는 과정"),
        ("트랜잭션", "하나의 논리적 작업 단위"),
        ("인덱스", "검색 속도를 높이는 자료 구조"),
        ("교착 상태", "서로의 자원을 기다리며 진행하지 못하는 상태"),
        ("캡슐화", "데이터와 연산을 하나로 묶고 내부를 숨기는 것"),
        ("스레드", "프로세스 안의 실행 단위"),
    ],
    "네트워크": [
        ("TCP", "연결형 신뢰성 전송 프로토콜"),
        ("UDP", "비연결형 전송 프로토콜"),
        ("DNS", "도메인 이름을 IP 주소로 바꾸는 체계"),
        ("DHCP", "IP 주소를 자동으로 할당하는 프로토콜"),
        ("라우터", "네트워크 사이에서 경로를 정해 패킷을 전달하는 장비"),
        ("서브넷 마스크", "IP 주소의 네트워크 부분을 가려내는 값"),
    ],
    "해부학": [
        ("좌심실", "대동맥으로 혈액을 내보내는 심장의 방"),
        ("폐포", "기체 교환이 일어나는 폐의 작은 주머니"),
        ("네프론", "콩팥의 기능 단위"),
        ("대퇴골", "인체에서 가장 긴 뼈"),
        ("소뇌", "몸의 균형과 운동 조절을 맡는 뇌"),
        ("간문맥", "소화관의 혈액을 간으로 보내는 혈관"),
    ],
    "약리학": [
        ("반감기", "약물의 혈중 농도가 절반으로 줄어드는 시간"),
        ("길항제", "수용체에 붙어 작용을 막는 약물"),
        ("효능제", "수용체에 붙어 작용을 일으키는 약물"),
        ("생체이용률", "투여량 중 전신 순환에 도달하는 비율"),
        ("치료 지수", "독성 용량과 유효 용량의 비"),
        ("초회 통과 효과", "간에서 먼저 대사되어 약효가 줄어드는 현상"),
    ],
    "자료구조": [
        ("스택", "나중에 넣은 것을 먼저 꺼내는 구조"),
        ("큐", "먼저 넣은 것을 먼저 꺼내는 구조"),
        ("힙", "부모가 자식보다 항상 크거나 작은 완전 이진 트리"),
        ("해시 테이블", "키를 해시해 값을 찾는 구조"),
        ("연결 리스트", "노드가 다음 노드를 가리키는 구조"),
        ("트라이", "문자열 접두사를 공유하는 트리"),
    ],
    "미시경제": [
        ("기회비용", "선택으로 포기한 것 중 가장 큰 가치"),
        ("한계효용", "한 단위 더 소비할 때 늘어나는 만족"),
        ("수요의 가격탄력성", "가격 변화에 대한 수요량 변화의 민감도"),
        ("독점", "한 기업이 시장 전체를 공급하는 상태"),
        ("외부효과", "거래 당사자가 아닌 사람에게 미치는 영향"),
        ("균형가격", "수요량과 공급량이 같아지는 가격"),
    ],
    "한국어 어휘": [
        ("설레다", "마음이 가라앉지 않고 들뜨다"),
        ("서운하다", "마음에 모자라 아쉽고 섭섭하다"),
        ("부지런하다", "게으르지 않고 꾸준하다"),
        ("어색하다", "자연스럽지 못하다"),
        ("든든하다", "믿음직하여 마음이 놓이다"),
        ("아쉽다", "필요할 때 없어서 안타깝다"),
    ],
    "K-문화": [
        ("한복", "한국의 전통 의복"),
        ("김장", "겨울을 나기 위해 김치를 한꺼번에 담그는 일"),
        ("추석", "음력 8월 15일의 명절"),
        ("판소리", "소리꾼이 북 장단에 맞춰 이야기를 노래하는 예술"),
        ("태권도", "한국에서 시작된 무예"),
        ("한글날", "10월 9일"),
    ],
    "과학": [
        ("광합성", "빛 에너지로 포도당을 만드는 과정"),
        ("관성", "물체가 운동 상태를 유지하려는 성질"),
        ("산화", "물질이 산소와 결합하거나 전자를 잃는 반응"),
        ("삼투", "반투막을 통해 물이 농도가 높은 쪽으로 이동하는 현상"),
        ("동위원소", "양성자 수는 같고 중성자 수가 다른 원자"),
        ("항상성", "몸의 내부 환경을 일정하게 유지하는 성질"),
    ],
}
MATH = {"수학", "편입수학", "선형대수", "기초 수학", "종합 사고력", "전기"}

ZONES: dict[str, dict] = {
    "univ": {
        "tagline": "대학 입시 준비",
        "field": "대학 입시",
        "areas": ["수학", "영어 어휘", "국어 문법"],
        "description": "수능과 내신을 준비하는 적응형 모의고사. 더 적은 문항으로 실력을 정확히 측정합니다.",
    },
    "college": {
        "tagline": "전문대·편입 준비",
        "field": "편입·전문대",
        "areas": ["편입수학", "영어 어휘"],
        "description": "편입 영어와 수학을 영역별로 진단하고 약한 영역을 알려 줍니다.",
    },
    "skill": {
        "tagline": "기술 자격증 준비",
        "field": "IT·기술 자격증",
        "areas": ["정보처리", "네트워크", "전기"],
        "description": "정보처리기사, 네트워크관리사, 전기기능사 필기 대비 문제와 적응형 진단.",
    },
    "medi": {
        "tagline": "의료 전문 자격증",
        "field": "의료 자격",
        "areas": ["해부학", "약리학"],
        "description": "간호사·약사 국가시험 대비 해부학과 약리학 문제 은행.",
    },
    "major": {
        "tagline": "전공 심화 학습",
        "field": "대학 전공",
        "areas": ["선형대수", "자료구조", "미시경제"],
        "description": "전공 과목의 핵심 개념을 적응형 시험으로 점검합니다.",
    },
    "kzone": {
        "tagline": "K-콘텐츠와 한국어",
        "field": "한국어·K-문화",
        "areas": ["한국어 어휘", "K-문화"],
        "description": "한국어와 K-문화를 배우는 K-Zone. 어휘와 문화 퀴즈를 적응형으로 풀어 보세요.",
    },
    "mpc": {
        "tagline": "MPC 학습 플랫폼",
        "field": "수학·과학",
        "areas": ["수학", "과학"],
        "description": "수학과 과학 기초를 다지는 학습 플랫폼.",
    },
    "dreamseed": {
        "tagline": "DreamSeedAI 통합 포털",
        "field": "통합",
        "areas": ["종합 사고력", "영어 어휘", "과학"],
        "description": "DreamSeedAI의 모든 존을 잇는 통합 포털과 종합 진단.",
    },
}
DEFAULT_ZONE = {"tagline": "", "field": "", "areas": ["수학", "영어 어휘"], "description": ""}


def zone_of(tenant) -> dict:
    return ZONES.get(tenant.schema_name, DEFAULT_ZONE)


def _math_items(area: str, rng: random.Random, n: int) -> Iterator[tuple[str, list[str], int]]:
    for i in range(n):
        x, y = rng.randint(2, 19), rng.randint(2, 19)
        if i % 3 == 0:
            stem, answer = f"{x} × {y} 의 값은?", x * y
        elif i % 3 == 1:
            stem, answer = f"방정식 $x + {x} = {x + y}$ 의 해 $x$ 는?", y
        else:
            stem, answer = f"{x * y} ÷ {x} 의 값은?", y
        options = sorted({answer, answer + 1, answer - 1, answer + x} - {0})
        while len(options) < 4:
            options.append(options[-1] + 2)
        options = options[:4]
        rng.shuffle(options)
        yield stem, [str(o) for o in options], options.index(answer) + 1


def _fact_items(area: str, rng: random.Random) -> Iterator[tuple[str, list[str], int]]:
    pairs = FACTS[area]
    for term, meaning in pairs:
        for forward in (True, False):
            others = [p for p in pairs if p[0] != term]
            rng.shuffle(others)
            picks = [(term, meaning), *others[:3]]
            rng.shuffle(picks)
            if forward:
                stem = f"**{term}** 의 뜻으로 알맞은 것은?"
                choices = [p[1] for p in picks]
            else:
                stem = f"다음 설명에 해당하는 것은?\n\n> {meaning}"
                choices = [p[0] for p in picks]
            yield stem, choices, [p[0] for p in picks].index(term) + 1


def _questions(area: str, rng: random.Random) -> list[tuple[str, list[str], int]]:
    if area in FACTS:
        return list(_fact_items(area, rng))
    return list(_math_items(area, rng, 14))


def seed(tenant) -> Iterator[tuple[str, str]]:
    with transaction.atomic():
        _seed(tenant)
    yield "student", "@app/"
    yield "teacher", "@app/"
    yield "parent", "@app/"
    yield "(landing)", "@www/"


def _seed(tenant) -> None:
    zone = zone_of(tenant)
    User = get_user_model()
    if not ZoneSite.objects.exists():
        ZoneSite.objects.create(
            title=tenant.name,
            tagline=zone["tagline"],
            description=zone["description"],
            field=zone["field"],
            keywords=", ".join(zone["areas"]),
        )
    org = Organisation.objects.filter(code="demo").first() or people.create_organisation(name="데모 학교", code="demo")
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["teacher", "org_admin", "student", "parent", "zone_admin"])
    }
    if "teacher" in users:
        people.add_staff(org, users["teacher"], StaffMembership.Kind.TEACHER)
    if "org_admin" in users:
        people.add_staff(org, users["org_admin"], StaffMembership.Kind.ADMIN)
    student = None
    if "student" in users:
        user = users["student"]
        student = Student.objects.filter(user=user).first()
        if student is None:
            from datetime import date

            student = Student.objects.create(
                user=user, name="김데모", nickname="데모학생", organisation=org, birth_date=date(2008, 3, 14)
            )
    klass = org.classes.filter(name="데모반").first() or people.create_class(
        organisation=org, name="데모반", teachers=[users["teacher"]] if "teacher" in users else []
    )
    if student is not None:
        people.enroll(klass, student)
    if student is not None and "parent" in users:
        parent = users["parent"]
        if not ParentLink.objects.filter(parent=parent, student=student, status="approved").exists():
            link = ParentLink.objects.filter(parent=parent, student=student, status="pending").first()
            if link is None:
                link = links.request_link(actor=parent, email=student.user.email)
            links.decide_link(link, approve=True, actor=student.user)

    if not Item.objects.exists():
        rng = random.Random(f"megacity-{tenant.schema_name}")  # noqa: S311  reproducible demo data, not secrets
        made: list[Item] = []
        for area in zone["areas"]:
            questions = _questions(area, rng)
            for n, (stem, choices, key) in enumerate(questions):
                a = max(0.5, rng.gauss(1.2, 0.25))
                b = max(-3.0, min(3.0, rng.gauss(0.0, 1.0)))
                made.append(
                    items.create_item(
                        code=f"{tenant.schema_name}-{zone['areas'].index(area) + 1}-{n + 1:02d}",
                        kind="choice",
                        stem=stem,
                        choices=choices,
                        key=str(key),
                        area=area,
                        explanation=f"정답은 {key}번입니다.",
                        tags=["demo"],
                        status="pretest" if n == len(questions) - 1 else "live",  # one pretest item per area
                        a=round(a, 3),
                        b=round(b, 3),
                        c=0.2,
                    )
                )
    if not Exam.objects.filter(title="적응형 진단").exists():
        cat = exams.create_exam(
            title="적응형 진단",
            kind="adaptive",
            description="실력에 맞춰 문항이 바뀌는 적응형 시험입니다. SE 0.4 이하가 되거나 15문항이면 끝납니다.",
            cat_settings={
                "se_target": 0.4,
                "min_length": 5,
                "max_length": 15,
                "exposure": "randomesque",
                "randomesque_k": 3,
                "pretest_positions": [3],
            },
            time_limit_seconds=30 * 60,
        )
        exams.publish(cat)
    if not Exam.objects.filter(title="모의고사 (고정형)").exists():
        fixed = exams.create_exam(
            title="모의고사 (고정형)",
            kind="fixed",
            order="shuffled",
            description="모든 학생이 같은 10문항을 섞인 순서로 풉니다.",
            time_limit_seconds=20 * 60,
        )
        pool = list(Item.objects.filter(status="live").order_by("b"))
        step = max(1, len(pool) // 10)
        exams.set_items(fixed, pool[::step][:10])
        exams.publish(fixed)
