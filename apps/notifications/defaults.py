"""Templates a tenant gets when it first sends each kind of message. Academies change the
wording in the admin (an Alimtalk template must then be approved again by Kakao)."""

DEFAULT_TEMPLATES = {
    "attendance_arrival": {
        "name": "출석 알림",
        "priority": "urgent",
        "provider_template_code": "ATTEND_IN_01",
        "body": "#{student} 학생이 #{date} #{time}에 #{class} 수업에 출석했습니다.",
    },
    "attendance_absence": {
        "name": "결석 알림",
        "priority": "urgent",
        "provider_template_code": "ATTEND_ABS_01",
        "body": "#{student} 학생이 #{date} #{time} #{class} 수업에 결석했습니다. 확인 부탁드립니다.",
    },
    "payment_request": {
        "name": "결제 요청",
        "priority": "normal",
        "provider_template_code": "PAY_REQ_01",
        "body": "#{name}님, 청구서 #{number}의 #{amount}원 결제를 요청드립니다. 납부 기한: #{due}",
    },
    "payment_overdue": {
        "name": "미납 안내",
        "priority": "normal",
        "provider_template_code": "PAY_OVERDUE_01",
        "body": "#{name}님, 청구서 #{number}의 #{amount}원이 #{days}일 연체되었습니다. 확인 부탁드립니다.",
    },
    "receipt": {
        "name": "영수증",
        "priority": "normal",
        "provider_template_code": "RECEIPT_01",
        "body": "#{name}님, #{date}에 #{amount}원(#{method}) 결제가 완료되었습니다. 감사합니다.",
    },
    "portal_invite": {
        "name": "학부모 포털 초대",
        "priority": "normal",
        "provider_template_code": "PORTAL_INVITE_01",
        "body": (
            "#{name}님, 학부모 포털에 초대합니다. "
            "아래 링크에서 비밀번호를 정하시면 휴대폰 번호로 로그인하실 수 있습니다. #{url}"
        ),
    },
    "schedule_change": {
        "name": "일정 변경",
        "priority": "urgent",
        "provider_template_code": "SCHEDULE_01",
        "body": "#{student} 학생의 #{class} #{date} #{time} 수업 일정이 변경되었습니다(#{change}).",
    },
}
