"""English texts. Keep the keys in step with ``id.py`` (a test checks)."""

from __future__ import annotations

from collections.abc import Callable


def _duration(hours: int, minutes: int) -> str:
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if minutes or not hours:
        parts.append(f"{minutes} minute" + ("s" if minutes != 1 else ""))
    return "about " + " ".join(parts)


TEXTS: dict[str, str | Callable[..., str]] = {
    # greetings and help
    "greeting": (
        "Hi {name}! I'm the IT helpdesk assistant. Tell me what's wrong in your own words "
        "(English or Bahasa Indonesia) and I'll find the steps, or get a specialist for you.\n"
        "Commands: /help, /ticket (talk to a person), /status (your tickets), /cancel, /lang id|en"
    ),
    "greeting_short": "Hi {name}, I'm the IT helpdesk assistant. Let me look into that.",
    "help": (
        "Just describe your problem, e.g. \"forgot my email password\" or \"wifi keeps disconnecting\".\n"
        "/ticket - talk to a person straight away\n"
        "/status - see your open tickets\n"
        "/cancel - stop what we are doing\n"
        "/lang id or /lang en - change the language"
    ),
    "unknown_command": "Sorry, I don't know the command /{command}. Type /help to see what I can do.",
    "lang_usage": "Please choose a language: /lang en or /lang id",
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
    "nothing_to_cancel": "There's nothing to cancel. How can I help?",
    "cancelled": "Okay, cancelled. Tell me whenever you need help again.",
    "cancelled_ticket": "Okay, I've closed ticket {number}. If the problem comes back, just tell me.",
    # input problems
    "secret_removed": (
        "For your safety I removed what looked like a password or secret from your message. "
        "Please never send passwords in chat; nobody from IT will ask for them."
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
        "you write here goes to them. Use /status to check, /cancel to withdraw it."
    ),
    "duration": _duration,
    # security
    "security_intro": (
        "This sounds like a security incident, so I'm alerting our specialists right away as URGENT. "
        "Please do this now:"
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
        "press \"Still not fixed\"."
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
    "desk_cancelled": "The user withdrew {number}.",
    "desk_reopened": "The user says {number} is still not fixed: reopened.",
    "desk_rated": "The user rated {number}: {score}/5.",
    "desk_from_user": "{name}: {text}",
    "desk_delivered": "Delivered to the user ({number}).",
    "desk_relay_failed": "Could not deliver this reply to the user ({number}): {reason}",
    "desk_no_open": "No open tickets.",
    "desk_open_header": "{count} open ticket(s):",
    "desk_open_line": "{number} [{priority}] {status} - {owner} - {subject}",
}
