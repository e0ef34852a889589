"""English texts. Keep the keys in step with ``id.py`` (a test checks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime


def _duration(hours: int, minutes: int, due: str = "", **_: object) -> str:
    parts = []
    days, hours = divmod(hours, 24) if hours >= 24 else (0, hours)
    if days:
        parts.append(f"{days} day" + ("s" if days != 1 else ""))
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if (minutes or not (days or hours)) and not days:
        parts.append(f"{minutes} minute" + ("s" if minutes != 1 else ""))
    return "about " + " ".join(parts) + (f" (by {due})" if due else "")


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _date_short(day: date, **_: object) -> str:
    return f"{_WEEKDAYS[day.weekday()][:3]} {day.day} {_MONTHS[day.month - 1][:3]}"


def _date_long(day: date, **_: object) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _month_year(day: date, **_: object) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


def _due_time(at: datetime, today: date, **_: object) -> str:
    clock = at.strftime("%H:%M")
    days = (at.date() - today).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if 1 < days < 7:
        return f"{_WEEKDAYS[at.weekday()]} {clock}"
    return f"{_date_short(at.date())} {clock}"


def _minutes(minutes: float, **_: object) -> str:
    total = round(minutes)
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    return f"{hours} h {mins} min" if mins and hours < 10 else f"{hours} h"


TEXTS: dict[str, str | Callable[..., str]] = {
    # greetings and help
    "greeting": (
        "Hi {name}! I'm the IT helpdesk assistant. Tell me what's wrong in your own words "
        "(English or Bahasa Indonesia) and I'll find the steps, or get a specialist for you.\n"
        "Commands: {c}help, {c}ticket (talk to a person), {c}status (your tickets), {c}cancel, {c}lang id|en"
    ),
    "greeting_short": "Hi {name}, I'm the IT helpdesk assistant. Let me look into that.",
    "help": (
        'Just describe your problem, e.g. "forgot my email password" or "wifi keeps disconnecting".\n'
        "{c}ticket - talk to a person straight away\n"
        "{c}status - see your open tickets\n"
        "{c}cancel - stop what we are doing\n"
        "{c}lang id or {c}lang en - change the language\n"
        "{c}mydata - see what is stored about you\n"
        "{c}forget - erase your data (asks first)"
    ),
    "unknown_command": "Sorry, I don't know the command {c}{command}. Type {c}help to see what I can do.",
    "lang_usage": "Please choose a language: {c}lang en or {c}lang id",
    "lang_set": "Okay, I'll speak English from now on.",
    # status and cancel
    "status_none": "You have no open tickets right now.",
    "status_header": "Your open tickets:",
    "status_line": "{number} - {subject} - {status} ({owner})",
    "status_waiting_owner": "waiting for a specialist",
    "status_answered": "answered by the assistant",
    "status_open": "waiting for a specialist",
    "status_claimed": "a specialist is on it",
    "status_waiting_user": "waiting for your reply",
    "status_resolved": "resolved",
    "status_self_service": "solved with the FAQ",
    "status_closed": "closed",
    # privacy
    "mydata_header": "What this helpdesk stores about you:",
    "mydata_profile": "Profile: name {name}, {platform} id {user_id}, language {language}, first contact {since}",
    "mydata_tickets": "Tickets: {count}",
    "mydata_ticket_line": "- {number} {subject} ({status}, opened {created}, your rating {rating})",
    "mydata_messages": "Your messages: {count} stored (passwords and ID numbers already removed); the latest {shown}:",
    "mydata_footer": "To erase all of this, use {c}forget. An administrator can give you the full export as a file.",
    "forget_confirm": (
        "This erases your name, your messages and the texts of your tickets; tickets still open with a "
        "specialist are closed. Anonymous counts (how many tickets, of which kind) are kept for our reports. "
        "This cannot be undone. Erase your data?"
    ),
    "btn_forget_yes": "Yes, erase my data",
    "btn_forget_no": "No, keep it",
    "forget_done": "Done: your data has been erased ({messages} messages, {tickets} tickets anonymised).",
    "forget_kept": "Okay, nothing was erased.",
    "nothing_to_cancel": "There's nothing to cancel. How can I help?",
    "cancelled": "Okay, cancelled. Tell me whenever you need help again.",
    "cancelled_ticket": "Okay, I've closed ticket {number}. If the problem comes back, just tell me.",
    # input problems
    "secret_removed": (
        "For your safety I removed what looked like a password or secret from your message. "
        "Please never send passwords in chat; nobody from IT will ask for them."
    ),
    "personal_data_removed": (
        "For your privacy I removed what looked like a card, ID (NIK), tax (NPWP) or bank account number: "
        "the specialist sees a placeholder instead. Please don't send such numbers in chat."
    ),
    "flood_notice": (
        "You're sending a lot of messages at once, so I'll pause for a few seconds. Nothing is lost: "
        "I've saved them all, and they're in your ticket's history if one is open."
    ),
    "empty_message": "I received an empty message. Could you describe the problem in a few words?",
    "attachment_not_now": (
        "Thanks for the file. I can only pass files on to a specialist once a ticket is open; "
        "please describe the problem in words first."
    ),
    "media_not_supported": "Sorry, I can't handle that kind of message. Please send text, a photo or a document.",
    "too_long": "That message is very long. Could you describe the problem in under {limit} characters?",
    # answering
    "answer_intro": "Here's what usually fixes this:",
    "did_it_help": "Did this solve it?",
    "btn_solved": "Solved",
    "btn_not_solved": "Not solved",
    "btn_human": "Talk to a person",
    "did_you_mean": "I found a few possible matches. Which one fits best?",
    "btn_none_of_these": "None of these",
    "button_expired": "That button is no longer active. Tell me what you need and I'll help.",
    "chosen_not_solved": "You said: not solved.",
    "chosen_human": "You asked to talk to a person.",
    "chosen_entry": "You chose: {title}",
    "chosen_none": "You said: none of these.",
    "chosen_solved": "You said: solved.",
    "glad_solved": "Great, glad that worked! If you have a moment, how would you rate this help (1-5)?",
    "already_rated": "You've already rated this one. Thank you!",
    "chosen_rating": "Your rating: {stars}",
    "thanks_rating": "Thank you for your feedback!",
    "describe_problem": (
        "I'd like to help! Could you describe the problem in a sentence, for example "
        '"Outlook on my laptop won\'t open since this morning"?'
    ),
    "no_answer": "I'm sorry, I don't have a reliable answer for that, so I'll bring in a specialist.",
    # triage
    "triage_intro": "I'm sorry you're dealing with this. A few quick questions so the specialist can help faster:",
    "triage_problem": "Please describe the problem in a sentence or two.",
    "triage_device": "Which device or application is affected (e.g. laptop, phone, Outlook, VPN)?",
    "triage_since": "Since when has this been happening?",
    "triage_error": "Is there an error message? Please type its exact text (or press Skip).",
    "triage_affected": "Is it only you, or are colleagues affected too?",
    "btn_skip": "Skip",
    "no_subject": "(no description)",
    "ticket_opened": (
        "Thank you. I've opened ticket {number} and passed it to our IT specialists. "
        "Expected first response: {expected}. I'll pass their messages on to you here, and anything "
        "you write here goes to them. Use {c}status to check, {c}cancel to withdraw it."
    ),
    "ticket_opened_urgent": (
        "I've opened ticket {number} as URGENT and a specialist is being alerted now. "
        "Expected first response: {expected}, day or night. I'll pass their messages on to you here, "
        "and anything you write here goes to them. Use {c}status to check."
    ),
    "duration": _duration,
    # security
    "security_intro": (
        "This sounds like a security incident, so I'm alerting our specialists right away as URGENT. "
        "Please do this now:"
    ),
    "incident_raised": (
        "This sounds like a security incident, so I've marked ticket {number} URGENT and a specialist "
        "is being alerted now (expected first response: {expected}). Please do this now:"
    ),
    "first_aid_phishing": (
        "1. Do not click any links or open attachments in that message.\n"
        "2. Do not reply or enter any password.\n"
        "3. If you already entered your password, change it now from another device.\n"
        "4. Keep the message; a specialist may ask you to forward it."
    ),
    "first_aid_malware": (
        "1. Disconnect the device from the network (Wi-Fi off, cable out).\n"
        "2. Do not turn it off and do not try to clean it yourself.\n"
        "3. Do not plug in USB drives or open more files.\n"
        "4. Wait for the specialist's instructions."
    ),
    "first_aid_compromised": (
        "1. Change your password now from a device you trust.\n"
        "2. Sign out of all sessions if you can.\n"
        "3. Check your e-mail forwarding rules and recent sent items.\n"
        "4. Tell the specialist what you noticed and when."
    ),
    "first_aid_lost_device": (
        "1. Tell us where and when you last had the device.\n"
        "2. Change the passwords of accounts that were signed in on it.\n"
        "3. If it was stolen, report it to security or the police.\n"
        "4. The specialist can lock or wipe the device remotely."
    ),
    "first_aid_security": "1. Stop using the affected account or device.\n2. Wait for the specialist's instructions.",
    # relay and resolution (user side)
    "relay_from_specialist": "{name} (IT, {number}): {text}",
    "user_claimed": "{name} from IT is now handling your ticket {number}.",
    "resolved_summary": "\nSummary: {summary}",
    "user_resolved": (
        "{name} marked your ticket {number} as resolved.{summary}\n"
        "How satisfied are you with the help (1 = poor, 5 = excellent)? If the problem is not fixed, "
        'press "Still not fixed".'
    ),
    "btn_reopen": "Still not fixed",
    "chosen_reopen": "You said: still not fixed.",
    "reopened": "I've reopened ticket {number} and told the specialist. Please describe what is still wrong.",
    # the desk
    "card_title": "Ticket {number} [{priority}] {category}",
    "card_from": "From: {name} ({who})",
    "card_status": "Status: {status} - owner: {owner}",
    "card_nobody": "nobody yet",
    "card_sla_breached": "SLA BREACHED",
    "card_question": "Problem: {question}",
    "card_triage": "Triage:",
    "triage_label_device": "Device/app",
    "triage_label_since": "Since",
    "triage_label_error": "Error",
    "triage_label_affected": "Affected",
    "triage_label_incident": "Incident reported",
    "triage_label_problem": "Problem",
    "card_candidates": "FAQ entries considered: {candidates}",
    "card_bot_answered": "The assistant answered with FAQ {entry} v{version}; the user needed more help.",
    "card_transcript": "Conversation so far:",
    "card_attachments": "Attachments: {count}",
    "btn_claim": "Claim",
    "btn_resolve": "Resolve",
    "btn_priority": "Priority",
    "priority_low": "Low",
    "priority_normal": "Normal",
    "priority_high": "High",
    "priority_urgent": "Urgent",
    "desk_help": (
        "Reply in a ticket's thread to answer the user. Start with {prefix} (or use /note) for an internal note.\n"
        "/claim, /resolve [summary], /priority low|normal|high|urgent, /tickets. "
        "Outside a thread, add the number: /claim 12, /reply 12 text."
    ),
    "desk_not_specialist": "Sorry, only IT specialists can do that here. Nothing was changed.",
    "desk_which_ticket": "Which ticket? Reply in its thread, or add its number, e.g. /claim 12.",
    "desk_unknown_command": "Unknown desk command /{command}. Try /help.",
    "desk_no_such_ticket": "There is no such ticket.",
    "desk_pick_priority": "Set the priority of {number}:",
    "desk_priority_set": "Priority of {number} set to {priority}.",
    "desk_priority_usage": "Usage: /priority {levels}",
    "desk_ticket_closed": "Ticket {number} is already closed.",
    "desk_already_yours": "You already own {number}.",
    "desk_claimed": "{name} claimed {number}.",
    "desk_resolved": "{number} resolved by {name}. The user was asked for a rating.",
    "desk_incident_raised": "🚨 {number} is now URGENT: the user reports a security incident ({kind}). Please take it now.",
    "desk_forgotten": "{number} is closed: the user asked for their data to be erased (texts and name removed).",
    "desk_flood_notice": (
        "{name}, that's a lot of messages at once: the ones over the limit are saved in the ticket's "
        "history but not relayed. Please wait a few seconds."
    ),
    "desk_held_messages": "({count} earlier messages held during a burst:)\n{lines}",
    "desk_cancelled": "The user withdrew {number}.",
    "desk_reopened": "The user says {number} is still not fixed: reopened.",
    "desk_rated": "The user rated {number}: {score}/5.",
    "desk_from_user": "{name}: {text}",
    "desk_delivered": "Delivered to the user ({number}).",
    "desk_delivery_outage": (
        "⚠️ Messages to {platform} have not been delivered for {minutes} min ({reason}). "
        "{waiting} message(s) are waiting; they are retried automatically and sent in order as soon as "
        "{platform} answers again. Nothing is lost."
    ),
    "desk_delivery_recovered": (
        "✅ {platform} answers again after {minutes} min. The {waiting} waiting message(s) are being sent now, in order."
    ),
    "desk_relay_as_template": "Ticket {number}: the user has not written on {platform} for 24 hours, so this reply could not be sent as written. They got the approved template message “{template}” instead; their answer will come back here.",
    "desk_relay_read": "Read by the user ({number}).",
    "desk_user_message_failed": "A message to the user could not be delivered ({number}): {reason}",
    "wa_list_button": "Choose · Pilih",
    "desk_relay_failed": "Could not deliver this reply to the user ({number}): {reason}",
    "desk_no_open": "No open tickets.",
    "desk_open_header": "{count} open ticket(s):",
    "desk_open_line": "{number} [{priority}] {status} - {owner} - {subject}",
    # the Telegram command menu (short descriptions, shown by the app next to each command)
    "cmd_start": "Start and see what I can do",
    "cmd_help": "How to ask for help",
    "cmd_ticket": "Talk to a person",
    "cmd_status": "Your open tickets",
    "cmd_cancel": "Stop what we are doing",
    "cmd_lang": "Change the language: /lang en or /lang id",
    "cmd_mydata": "See what is stored about you",
    "cmd_forget": "Erase your data (asks first)",
    "cmd_desk_claim": "Take the ticket of this thread",
    "cmd_desk_resolve": "Resolve it: /resolve summary",
    "cmd_desk_priority": "Set priority: low, normal, high, urgent",
    "cmd_desk_note": "Internal note (never sent to the user)",
    "cmd_desk_reply": "Answer a ticket by number: /reply 12 text",
    "cmd_desk_tickets": "List open tickets",
    "cmd_desk_help": "Desk commands",
    # --- reports, SLA reminders and follow-ups ----------------------------------------------
    "date_short": _date_short,
    "category_account": "Account",
    "category_network": "Network",
    "category_email": "Email",
    "category_hardware": "Hardware",
    "category_software": "Software",
    "category_printing": "Printing",
    "category_security": "Security",
    "category_access": "Access",
    "category_other": "Other",
    "date_long": _date_long,
    "month_year": _month_year,
    "due_time": _due_time,
    "minutes": _minutes,
    "report_title_day": "Helpdesk recap for {day}",
    "report_title_week": "Helpdesk recap, week {first} - {last}",
    "report_title_month": "Helpdesk recap, {month}",
    "report_title_range": "Helpdesk recap, {first} - {last}",
    "report_empty": "No tickets were opened in this period.",
    "report_tickets": "Tickets: {total} ({channels})",
    "report_faq_line": (
        "Solved by the FAQ (confirmed): {count} ({rate}); no feedback: {silent}; gave up: {abandoned}"
    ),
    "report_pending_line": "Answered, feedback window still open: {count}",
    "report_escalated_line": (
        "Escalated to specialists: {count} ({rate}): resolved {resolved}, still open {open}, closed {closed}"
    ),
    "report_reopened_line": "Reopened within {days} days: {count}",
    "report_first_response_line": "First response: median {median}, 90% within {p90} (business hours)",
    "report_resolution_line": "Resolution: median {median}, 90% within {p90} (business hours)",
    "report_sla_line": "SLA breaches: {count} (first response {first}, resolution {resolution})",
    "report_csat_line": "Satisfaction: {average}/5 from {count} rating(s)",
    "report_csat_none": "Satisfaction: no ratings",
    "report_top_faq_line": "Top FAQ answers: {items}",
    "report_gaps_line": "Not answered by the bot: {items}",
    "report_workload_line": "Specialists: {items}",
    "report_workload_item": "{name} {resolved} resolved",
    "report_open_now_line": "Open right now (all periods): {count}",
    "report_chart_caption": "Chart: {title}",
    "report_none": "-",
    "report_generated": "Made {when} ({timezone}); tickets opened in the period, outcomes as of now.",
    "outcome_self_service": "Solved by FAQ",
    "outcome_silent": "No feedback",
    "outcome_pending_feedback": "Awaiting feedback",
    "outcome_abandoned": "Gave up",
    "outcome_resolved": "Resolved by specialist",
    "outcome_open": "Still open",
    "outcome_closed": "Closed unresolved",
    "report_chart_daily": "Tickets per day by outcome",
    "report_chart_weekly": "Tickets per week by outcome",
    "report_chart_categories": "Tickets by category",
    "report_axis_tickets": "Tickets",
    "report_axis_day": "Day opened",
    "report_axis_week": "Week starting",
    "report_section_volume": "Tickets opened",
    "report_section_outcomes": "How they ended",
    "report_section_times": "Response and resolution times (business hours)",
    "report_section_sla": "SLA",
    "report_section_csat": "Satisfaction",
    "report_section_faq": "FAQ answers served",
    "report_section_versions": "FAQ answers by version",
    "report_section_gaps": "Questions the bot could not answer (FAQ gaps)",
    "report_section_workload": "Specialists",
    "report_by_channel": "By channel",
    "report_by_category": "By category",
    "report_by_priority": "Escalated, by priority",
    "report_col_name": "Name",
    "report_col_count": "Count",
    "report_col_share": "Share",
    "report_col_measure": "Measure",
    "report_col_median": "Median",
    "report_col_p90": "90%",
    "report_col_entry": "FAQ entry",
    "report_col_version": "Version",
    "report_col_served": "Served",
    "report_col_helpful": "Helpful",
    "report_col_not_helpful": "Not helpful",
    "report_col_asked_human": "Asked a person",
    "report_col_silent": "No feedback",
    "report_col_ratio": "Helpful ratio",
    "report_col_question": "Question (example)",
    "report_col_asked": "Asked",
    "report_col_tickets": "Tickets",
    "report_col_specialist": "Specialist",
    "report_col_claimed": "Claimed",
    "report_col_resolved": "Resolved",
    "report_col_first_response": "Median first response",
    "report_col_score": "Score",
    "report_first_response": "First response",
    "report_resolution": "Resolution",
    "report_escalation_rate": "Escalation rate",
    "report_self_service_rate": "Self-service rate",
    "report_reopened": "Reopened within {days} days",
    "report_breaches_first": "First response target missed",
    "report_breaches_resolution": "Resolution target missed",
    "report_breaches_total": "Tickets with a breach",
    "report_csat_average": "Average {average}/5 from {count} rating(s)",
    "report_usage": (
        "Usage: /report day, /report week or /report month (the last complete one); "
        'add "now" for the one in progress, e.g. /report week now.'
    ),
    "report_refused": "Sorry, only helpdesk admins can see reports. Nothing was changed.",
    "sla_reminder_unclaimed": (
        "Reminder: {number} [{priority}] is still unclaimed; first response due {due}.\n{subject}"
    ),
    "sla_urgent_ping": "URGENT {number} is unclaimed, waiting {waited}. Please claim it.\n{subject}",
    "sla_breached_first_response": "SLA breached: {number} had no first response by {due}.",
    "sla_breached_resolution": "SLA breached: {number} was not resolved by {due}.",
    "followup_user_reminder": (
        "Hello! Our specialist is waiting for your reply on ticket {number} ({subject}). Just reply here. "
        "If we don't hear from you, the ticket will be closed in {days} working day(s)."
    ),
    "followup_desk_reminder": "Reminded the user: {number} has been waiting for their reply.",
    "followup_user_closed": (
        "I've closed ticket {number} ({subject}) because we didn't hear back. If the problem is still there, "
        "just reply here and I'll reopen it."
    ),
    "followup_desk_closed": "{number} was closed automatically: no reply from the user.",
    "reopened_by_reply": "I've reopened ticket {number} and passed your message to the specialist.",
    "desk_reopened_by_reply": "The user replied to {number}, which was closed automatically: reopened.",
    "rating_reminder": (
        "How did we do with ticket {number} ({subject})? Please rate the help from 1 (poor) to 5 (excellent)."
    ),
    # --- FAQ editing from chat and drafts from specialists (bot/faq_admin/commands.py, bot/faq_admin/diff.py) ---
    "faq_help": (
        "FAQ editing (admins). LANG is id or en.\n"
        "/faq show ID - see an entry\n"
        "/faq list [category] - entries by category\n"
        "/faq search TEXT - what the bot would answer\n"
        "/faq add [ID] - new entry, step by step (direct chat)\n"
        "/faq addq ID LANG question - add a question\n"
        "/faq delq ID LANG question-or-number - remove a question\n"
        "/faq answer ID LANG [new answer] - replace an answer\n"
        "/faq delete ID - delete (asks first)\n"
        "/faq history ID - versions and what changed\n"
        "/faq rollback ID VERSION - bring an old version back\n"
        "/faq drafts - entries proposed by specialists\n"
        "/faq draft N [field value], /faq approve N [ID] [category], /faq reject N [reason]\n"
        "/faq cancel - stop a step-by-step edit\n"
        "Specialists: /faq propose [ticket] on a resolved ticket."
    ),
    "faq_unknown_subcommand": "I don't know /faq {sub}.",
    "faq_usage": "Usage: {usage}",
    "faq_usage_show": "/faq show ID, e.g. /faq show vpn-setup",
    "faq_usage_search": "/faq search TEXT, e.g. /faq search vpn keeps disconnecting",
    "faq_usage_addq": "/faq addq ID LANG question, e.g. /faq addq vpn-setup en vpn won't connect",
    "faq_usage_delq": "/faq delq ID LANG question-or-number, e.g. /faq delq vpn-setup en 3",
    "faq_usage_answer": "/faq answer ID LANG [new answer], e.g. /faq answer vpn-setup en",
    "faq_usage_delete": "/faq delete ID",
    "faq_usage_history": "/faq history ID",
    "faq_usage_rollback": "/faq rollback ID VERSION, e.g. /faq rollback vpn-setup 2",
    "faq_usage_draft": "/faq draft N, or /faq draft N question|answer|id|category|lang NEW VALUE",
    "faq_usage_approve": "/faq approve N [ID or -] [category], e.g. /faq approve 3 vpn-drops network",
    "faq_usage_reject": "/faq reject N [reason]",
    "faq_not_admin": (
        "Sorry, only FAQ admins can change the FAQ. Nothing was changed. "
        "Specialists can propose a resolved ticket with /faq propose."
    ),
    "faq_not_specialist": "Sorry, only IT specialists can propose FAQ entries. Nothing was changed.",
    "faq_unknown_entry": 'There is no FAQ entry "{id}".{hint}',
    "faq_did_you_mean": " Did you mean {id}?",
    "faq_bad_id": (
        '"{value}" can\'t be an id: use lowercase letters and digits joined by hyphens, '
        "e.g. vpn-setup (at most {limit} characters)."
    ),
    "faq_id_taken": "There is already an entry {id}. Choose another id (see it with /faq show {id}).",
    "faq_bad_lang": '"{value}" is not a language I know. Use one of: {langs}.',
    "faq_bad_category": '"{value}" is not a category. Choose one of: {categories}.',
    "faq_empty_phrasing": "A question can't be empty.",
    "faq_phrasing_too_long": "That question is {length} characters long; the limit is {limit}.",
    "faq_too_many_phrasings": "That's too many questions for one language; the limit is {limit}.",
    "faq_empty_answer": "The answer can't be empty.",
    "faq_answer_too_long": "That answer is {length} characters long; the limit is {limit}.",
    "faq_warn_clash": (
        'Note: "{text}" is also a question of {other}; users may get either. Check with /faq search.'
    ),
    "faq_saved": "Saved {id} as version {version}. Users get it right away.",
    "faq_unchanged": "Nothing to change: {id} v{version} already says that.",
    "faq_rolled_back": "{id} is back to what version {target} said (saved as version {version}).",
    "faq_show_head": "{id} · {category} · v{version}",
    "faq_show_questions": "Questions ({code}):",
    "faq_show_answer": "Answer ({code}):",
    "faq_show_triage": "Extra questions before escalating ({code}):",
    "faq_show_tags": "Tags: {tags}",
    "faq_show_security": "Security entry: users are handed to a specialist at once.",
    "faq_show_changed": "Last change: {when}, {author}",
    "faq_list_counts": "{count} FAQ entries. Pick a category:",
    "faq_list_head": "{category}: {count} entries",
    "faq_list_more": "... and {count} more.",
    "faq_list_footer": "See one with /faq show ID.",
    "faq_list_empty": "No entries in {category}.",
    "faq_search_answer": "The bot would answer with the first entry:",
    "faq_search_clarify": "The bot would ask the user to choose between:",
    "faq_search_escalate": "The bot would hand this to a specialist.",
    "faq_search_none": "No entry is close enough.",
    "faq_addq_exists": "{id} already has that question in {code}.",
    "faq_delq_not_found": "{id} has no such question in {code}. Its {code} questions:\n{questions}",
    "faq_delq_last": (
        "That is the last {code} question of {id}; an answer needs at least one. "
        "Add another first, or delete the entry."
    ),
    "faq_answer_current": "The current {code} answer of {id}:",
    "faq_answer_ask": "Send the new {code} answer as one message (numbered steps work best), or /faq cancel.",
    "faq_answer_inline_hint": (
        "Here, put the new answer in the same message: /faq answer {id} {code} 1. First step ... "
        "Step by step works in a direct chat with me."
    ),
    "faq_new_lang_private": (
        "{id} has no {code} text yet. Add the translation step by step in a direct chat with me: "
        "/faq answer {id} {code}"
    ),
    "faq_new_lang_ask_answer": "That is the first {code} question of {id}. Now send the {code} answer.",
    "faq_new_lang_ask_questions": (
        "Now send the questions people ask in {code}, one per message (or one per line). "
        "Press Done when finished."
    ),
    "faq_new_lang_need_question": "Send at least one {code} question first.",
    "faq_delete_confirm": (
        'Delete {id} ("{title}", v{version})? Users will no longer get this answer. '
        "The history is kept: /faq rollback brings it back."
    ),
    "faq_deleted": "Deleted {id}. To bring it back: /faq rollback {id} {version}",
    "faq_history_head": "History of {id} ({count} versions, newest first):",
    "faq_history_line": "v{version} · {when} · {author} · {note}",
    "faq_history_more": "... and {count} older versions (full history: helpdesk kb history on the server).",
    "faq_history_footer": "Bring one back with /faq rollback {id} VERSION.",
    "faq_no_version": "{id} has no version {version}; it has versions {first} to {last}.",
    "faq_rollback_deleted": "Version {version} of {id} is the deletion itself; pick an earlier version.",
    "faq_cancelled": "Cancelled. Nothing was saved.",
    "faq_nothing_to_cancel": "There is no FAQ edit to cancel.",
    "faq_nothing_changed": "Okay, nothing was changed.",
    "faq_button_expired": "That button is no longer valid. Start again with /faq.",
    "faq_dialogue_private": (
        "I ask for the details step by step, so let's do this in a direct chat with me: "
        "send me the same command there."
    ),
    "faq_busy": "You have a ticket conversation going on. Finish it (or /cancel it) first, then try again.",
    "faq_dialogue_expired": "Your FAQ edit timed out; nothing was saved. Here is the answer to your message:",
    "faq_send_text": "Please send text (or /faq cancel).",
    "faq_category_chosen": "Category: {category}",
    "faq_step_chosen": "{choice}",
    "faq_lang_id": "Bahasa Indonesia",
    "faq_lang_en": "English",
    "faq_btn_done": "Done",
    "faq_btn_skip": "Skip this language",
    "faq_btn_save": "Save",
    "faq_btn_cancel": "Cancel",
    "faq_btn_delete": "Delete",
    "faq_btn_keep": "Keep it",
    "faq_btn_approve": "Approve",
    "faq_btn_edit": "Edit",
    "faq_btn_reject": "Reject",
    "faq_btn_create": "Create entry",
    "faq_add_ask_id": (
        "New FAQ entry. Step 1/4: send its id, lowercase words joined by hyphens, e.g. vpn-slow. "
        "(/faq cancel stops at any time.)"
    ),
    "faq_add_ask_category": "Step 2/4: choose the category of {id}.",
    "faq_add_ask_questions": (
        "Step 3/4: send the questions people ask, in {lang_name} ({code}), one per message or one per line. "
        "Press Done when finished, or skip this language."
    ),
    "faq_add_ask_questions_more": (
        "Now the {lang_name} ({code}) questions, one per message or one per line. "
        "Press Done when finished, or skip: one language is enough."
    ),
    "faq_add_got_questions": "Got it: {count} {code} question(s). Send more, or press Done.",
    "faq_add_ask_answer": "Now send the {code} answer as one message. Numbered steps (1. 2. 3.) read best.",
    "faq_add_need_language": "An entry needs questions and an answer in at least one language.",
    "faq_add_preview": "Step 4/4: check the entry, then press Save.",
    "faq_add_press_save": "Press Save to store the entry, or Cancel.",
    "faq_add_saved": "Saved {id} (version {version}). Users get it right away.",
    "faq_propose_which": (
        "Which ticket? Use /faq propose in the ticket's thread, or add its number: /faq propose 12. "
        "You may add the answer to use after the number."
    ),
    "faq_propose_no_ticket": "There is no ticket #{number}.",
    "faq_propose_not_resolved": "{number} is not resolved yet. Propose it once it is resolved.",
    "faq_propose_exists": "{ticket} is already proposed as draft {number}:",
    "faq_propose_no_answer": (
        "I found no answer from a specialist on {number}. Add it yourself: /faq propose #{id} your answer"
    ),
    "faq_proposed": "Thanks! Draft {number} from {ticket} now waits for an FAQ admin.",
    "faq_draft_card": (
        "FAQ draft {number} from ticket {ticket} (proposed by {name})\n"
        "Id: {id} · category: {category} · language: {code}\n"
        "Question: {question}\n"
        "Answer:\n{answer}"
    ),
    "faq_draft_card_approved": "FAQ draft {number} from ticket {ticket}: approved, now {note}.",
    "faq_draft_card_rejected": "FAQ draft {number} from ticket {ticket}: rejected ({note}).",
    "faq_drafts_head": "{count} draft(s) waiting:",
    "faq_no_drafts": "No drafts are waiting.",
    "faq_no_such_draft": "There is no draft {number}.",
    "faq_draft_status_pending": "waiting",
    "faq_draft_status_approved": "approved",
    "faq_draft_status_rejected": "rejected",
    "faq_draft_decided": "Draft {number} is already {status}.",
    "faq_draft_pick_category": "Approve draft {number}: choose the category (suggested: {category}).",
    "faq_draft_create_question": "Create the entry {id}? Another id: /faq approve {number} other-id",
    "faq_draft_id_taken": (
        "There is already an entry {id}. Approve with another id: /faq approve {number} new-id, "
        "or add the question to {id} with /faq addq."
    ),
    "faq_draft_approved": "Draft {number} approved by {name}: it is now the FAQ entry {id}.",
    "faq_draft_rejected": "Draft {number} rejected by {name}.",
    "faq_draft_edit_inline": (
        "Edit it here with /faq draft {number} question|answer|id|category NEW VALUE, "
        "or press Edit in a direct chat with me."
    ),
    "faq_draft_edit_which": "What do you want to change in draft {number}?",
    "faq_draft_ask_field": "Send the new {field} for draft {number}.",
    "faq_draft_ask_category": "Choose the category for draft {number}.",
    "faq_field_question": "Question",
    "faq_field_answer": "Answer",
    "faq_field_id": "Id",
    "faq_field_category": "Category",
    "faqdiff_created": "created",
    "faqdiff_deleted": "deleted",
    "faqdiff_restored": "restored",
    "faqdiff_category": "category: {old} -> {new}",
    "faqdiff_tags": "tags: {old} -> {new}",
    "faqdiff_security": "security entry: {old} -> {new}",
    "faqdiff_question_added": "+ question ({code}): {text}",
    "faqdiff_question_removed": "- question ({code}): {text}",
    "faqdiff_triage_added": "+ extra question ({code}): {text}",
    "faqdiff_triage_removed": "- extra question ({code}): {text}",
    "faqdiff_answer_added": "+ answer ({code}):",
    "faqdiff_answer_removed": "- answer ({code}):",
    "faqdiff_answer_changed": "answer ({code}) changed:",
    "faqdiff_none": "no change in content",
    # --- end of FAQ editing texts ---
}
