"""A deterministic, rule-based reading of task requests.

This is the emergency tier: with no model at all, it turns a sentence into the
same tool calls a model would make, so the agent always answers. The classify
node also uses :func:`detect_intents` / :func:`is_in_scope` to decide whether a
message is a task request at all.

It is deliberately conservative: when it cannot find what a call needs (which
task? when?) it says so through :class:`Plan.question` instead of guessing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from taskagent.dates import When, before_due_at, find_before_due, find_when, shortly_before

__all__ = ["Plan", "PlannedCall", "detect_intents", "is_in_scope", "plan", "tasks_named"]


@dataclass
class PlannedCall:
    name: str
    arguments: dict[str, Any]


@dataclass
class Plan:
    calls: list[PlannedCall] = field(default_factory=list)
    question: str | None = None  # what we would need to ask to go further


_I = re.IGNORECASE
# Verbs that start a new request inside a longer sentence ("... and add a task ...").
_CLAUSE_VERBS = (
    r"add|create|make|set|put|remind|list|show|display|complete|finish|mark|delete|remove|"
    r"update|change|move|reschedule|rename|start|schedule|new|also|then|check|cancel|drop|"
    r"tick|log|jot|what|give|pull|postpone|push|bump|get\s+rid|wipe|bin|scrap|trash|nuke|"
    r"reopen|remind|started|kill|ping|nudge|nix|ditch"
)
_POLITE = r"(?:(?:could|can|would|will)\s+you\s+(?:also\s+)?|please\s+)?"
# "add 'A' - no wait, make that 'B'": the words that take back what was just said
_TAKE_BACK = r"(?:no[,\s]+)?(?:wait|actually|sorry|scratch\s+that)"
# "reopen task 4", "un-finish it", "it's not actually done", "put it back on my list"
_REOPEN_WORDS = (
    r"\bre-?open\b|\bun-?(?:complete|finish)|\bnot\s+(?:actually\s+)?(?:done|finished)\b"
    r"|\bback\s+(?:to|on)\s+(?:to-?do|pending|open|not\s+started|my\s+list|the\s+list)\b"
    r"|\bbring\s+(?:it|that|this)\s+back\b"
)
# Said of a task the user has, these ask for a change: "Kim's report can wait till Monday",
# "one down", "is now urgent", "I'm in the middle of it", "has to be in by the 10th"
_ONE_DOWN = r"\bone\s+(?:down|off\s+the\s+list|less\s+(?:thing|headache|worry|job))\b"
# "put a fork in #4", "#3's in the bag", "Nailed the quarterly filing", "Kowalczyk paid up":
# idioms for done (a question or "his/her" someone else's news is guarded where they are read)
_DONE_IDIOM = (
    r"\bput\s+a\s+fork\s+in\b|\b(?:is|'s|are|'re)\s+in\s+the\s+bag\b|^\s*(?:just\s+|finally\s+)?nailed\b"
    r"|\b(?:coughed|paid)\s+up\b|\b(?:is|'s|are|'re|been|got)\s+squashed\b"
)
# "scratch the caterer idea", "forget the party venue hunt", "kill off the gym thing": dropped
_DROPPED = (
    r"\b(?:scratch|scrub)\s+(?:the|my)\s+[^.,]{1,40}?\b(?:idea|plan|thing|route|hunt|task)\b"
    r"|^\s*(?:(?:oh|ok|okay|just|actually|so)[,\s]+)*forget\s+(?:about\s+)?(?:the|that|my)\b[^.,]{0,60}?"
    r"\b(?:idea|plan|hunt|thing)\b|^\s*forget\s+(?:about\s+)?(?:task\s*#?\d|#\d)|\bkill\s+off\b"
)
_CAN_WAIT = (
    r"\bcan\s+(?:wait|slide|slip)\s+(?:till|until|to)\b|\bslips?\s+to\b|\bbeen\s+moved\s+to\b"
    r"|\bcan\s+(?:go|move)\s+back\s+to\b"
)
_NOW_URGENT = (
    r"\b(?:became|is\s+now|'s\s+now)\s+(?:urgent|top\s+priority)\b"
    r"|\b(?:up|down)\s+to\s+(?:high|low|urgent|normal)\b"
    r"|\bfive[-\s]alarm\s+fire\b|\bgone\s+critical\b|\bjump\s+the\s+queue\b"
)
_UNDER_WAY = (
    r"\bunderway\b|\bgot\s+(?:going|started)\s+on\b|\bmade\s+a\s+(?:start|dent)\s+(?:on|in)\b"
    r"|\bhalfway\s+through\s+(?!the\s+(?:day|week|month|year|night|term)\b)"
)
# "the mic arm is half sorted, waiting on a part": under way, not finished
_PART_DONE = r"\b(?:half|partly|partially|nearly|almost|mostly)\s+(?:sorted|done|finished|fixed)\b"
# "the electrician is the number one thing now", "ITI renewal can sink to the bottom of the pile"
_RANKED_FIRST = r"\bnumber\s+one\s+(?:thing|priority|job)\b|\btrumps\s+everything\b"
_RANKED_LAST = (
    r"\bbottom\s+of\s+the\s+(?:pile|list)\b|\bback\s+burner\b|\bnice[-\s]to[-\s]have\b"
    r"|\bsink\s+(?:right\s+)?(?:down|to\s+the\s+bottom)\b|\bcan\s+languish\b|\bleast\s+of\s+my\s+worries\b"
    r"|\bno\s+rush\s+on\s+(?:the|my)\b"
)
_DUE_BY = (
    r"\b(?:has|have|needs?)\s+to\s+(?:be\s+\w+|go\s+in|happen)\s+(?:by|before)\b|\bneeds?\s+(?!doing\b)\w+ing\s+by\b"
    r"|\bby\s+[^.]{1,30}?\bat\s+the\s+latest\b|\bthat'?s\s+(?:my|the)\s+deadline\b"
)
_SPLIT_RE = re.compile(
    # "no. 7" is an id, not the end of a sentence
    rf"\s*(?:;|(?<!\bno)\.\s+|[,-]?\s+(?:and\s+then|then|and\s+also|and|also|plus|so)\s+"
    rf"(?={_POLITE}(?:{_CLAUSE_VERBS}|anything)\b)"
    rf"|(?:,|\s+[-–—])\s+(?=(?:just\s+|instead\s+|rather\s+)?{_POLITE}(?:{_CLAUSE_VERBS})\b)"
    # "delete #2 and #4", "make task 4 low and task 1 urgent": a second task, same action
    rf"|,?\s+and\s+(?=(?:task\s*#?\d|#\d|TASK-\d))"
    # "add 'A' - no wait, make that 'B'", "... - actually I already have that one"
    rf"|(?:,|\s+[-–—])\s+(?={_TAKE_BACK}\b)"
    rf"|,?\s+with\s+(?=a\s+reminder\b)"
    # "remind me at 9am to call the GP, and at 2pm to collect the passports"
    rf"|,?\s+and\s+(?=(?:again\s+)?(?:at|on)\s+(?:\d|(?:noon|midday|midnight)\b))"
    # "... the mince pies 🎄 what's left?", "Done! show me the rest"
    rf"|(?<=[!?)])\s+(?={_POLITE}(?:{_CLAUSE_VERBS})\b)|(?<!remind me)\s+(?=what'?s\s+left\b)"
    # "a new project 'X' with a task in it called 'Y'", "... - plus a task under it to 'Z'"
    rf"|[,-]?\s+(?:with|plus|and)\s+(?=(?:a|an|one|two|three|four|five|\d)\s+(?:new\s+)?tasks?\b))\s*",
    _I,
)

_INTENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (  # before complete: "reopen task 4, it isn't finished" is not a complete
        "update_task",
        re.compile(
            rf"{_REOPEN_WORDS}|{_PART_DONE}|{_RANKED_FIRST}|{_RANKED_LAST}"
            r"|\bkick(?:ed)?\s+off\s+(?:task|#|number)|\b(?:add|put)\s+(?:a\s+)?(?:note|description|"
            r"comment)\s+(?:to|on)\s+(?:task|#|it|that|the\s)"
            r"|^\s*(?:and\s+)?(?:add|put)\s+(?:a\s+)?(?:note|description|comment)\s*:"
            r"|\b(?:change|set)\s+the\s+(?:name|title)\s+to\b"
            r"|^\s*(?:please\s+)?make\s+the\s+[^.]{1,40}?\s+(?:urgent|high|low)(?:\s+priority)?\b"
            # "make fixing the kitchen tap low priority", "make 'Send Mom flowers' due on May 10":
            # an existing task given a priority or a date (a new one is "make a task ...")
            r"|^\s*(?:please\s+)?make\s+(?!(?:a|an|new|another|me|it|this|that)\b)[^.,]{1,60}?\s+"
            r"(?:(?:urgent|high|low|normal|medium|top)\s+priority|due\s+(?:on|by|for|this|next|\d))",
            _I,
        ),
    ),
    (
        "create_reminder",
        re.compile(
            r"\breminders?\b|\bremind\b(?!\s+(?-i:[A-Z])[a-z]+\s+(?:about|to)\b)(?!\s+me\s+(?:what|which)\b)"
            r"|\b(?:remnd|remid|rmind)\b|\b(?:ping|nudge|alert|buzz|warn)\s+me\b"
            r"|\bgive\s+me\s+a\s+(?:nudge|shout|ping|buzz|heads[-\s]?up)\b",
            _I,
        ),
    ),
    (
        "create_project",
        re.compile(
            r"\b(?:create|make|start|set\s*up|new|add|open|kick\s*off|spin\s*up|need)\b[^.]{0,40}?\bprojects?\b"
            r"|^\s*(?:a\s+)?(?:new\s+)?project\s+(?:called|named)\b",
            _I,
        ),
    ),
    (
        "get_calendar",
        re.compile(
            r"\bcalendar\b|\bagenda\b|\bmy\s+schedule\b|\bschedule\s+(?:for|today|tomorrow|this|next|on)\b"
            r"|what'?s\s+on\b(?!\s+my\s+(?:plate|list|to-?do))|\bam\s+i\s+(?:free|busy)\b|\bwhat\s+do\s+i\s+have\b|\bany\s+meetings?\b"
            r"|\bmeetings?\s+(?:today|tomorrow|this|next|on)\b"
            r"|\bdiary\b|\bcalender\b|\bdouble-?booked\b|\b(?:am\s+i|are\s+we|i'?m)\s+booked\b"
            r"|\b(?:anything|something)\s+booked\b"
            r"|\bbooked\s+(?:in\s+)?(?:for\s+|on\s+)?(?:today|tomorrow|this|next|\w+day)\b"
            r"|\bnext\s+meeting\b"
            r"|\b(?:show|pull\s+up|give)\s+(?:me\s+)?(?:the\s+)?(?:next|coming)\s+(?:\w+\s+)?(?:days|week)\b"
            r"|\banything\s+i\s+(?:should|need\s+to)\s+(?:worry|know|think)\s+about\b"
            r"|\bcalls?\s+scheduled\b|\bwhat'?s\s+happening\b|\blooking\s+busy\b"
            r"|\b(?:got|have)\s+(?:much|anything)\s+on\s+(?:today|tomorrow|\w+day)\b"
            r"|\bwhat\s+does\s+(?:my\s+)?(?:today|tomorrow|\w+day|the\s+week)\s+look\b",
            _I,
        ),
    ),
    (
        "list_tasks",
        re.compile(
            r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+|can\s+i\s+)?(?:list|show|display|view|see|what|which|"
            r"is\s+(?:there\s+)?anything|"
            r"give\s+me|pull\s+up|any|anything|how\s+many|get(?!\s+rid)(?![^.]{0,30}\bout\s+of\s+here)|what'?s|filter)\b"
            r"[^.]*\b(?:tasks?(?![\s#:_-]*\d)|todos?|to-?dos?|to\s+do|"
            r"items|backlog|overdue|pending|outstanding|on\s+my\s+plate|list|stuff|things|still\s+open|"
            r"tagged|due|(?:high|urgent|low)[\s-]priority|not\s+started|done|finished|completed|"
            r"in[\s-]progress|(?:ticked|crossed|checked)\s+off|in\s+the\s+middle\s+of|urgent|jobs|chores|"
            r"left|remains|remaining)\b"
            r"|^\s*(?:please\s+)?(?:show|list|display)\s+(?:me\s+)?(?:everything|all)\b"
            r"|^\s*(?:please\s+)?(?:show|list|display)\s+(?:me\s+)?what'?s\s+in\b"
            r"|^\s*(?:please\s+)?(?:show|list|display)\s+(?:me\s+)?(?:what'?s|what\s+is|everything|all)\s+"
            r"(?:in[\s-]progress|open|pending|done|completed|finished|overdue|urgent|high)\b"
            r"|^\s*(?:my\s+)?(?:tasks|todos|to-?do\s+list)\s*\??\s*$"
            r"|^\s*remind\s+me\s+(?:what|which)\b[^.]*\b(?:left|tasks?|to\s+do|outstanding|open|pending)\b",
            _I,
        ),
    ),
    (
        "delete_task",
        re.compile(
            # "took out the trash", "empty the bin": nouns, not verbs
            r"\b(?:delete|remove|drop(?!\s+everything)|(?<!the\s)(?<!my\s)trash|erase|scrap|get\s+rid\s+of|"
            r"nuke|kill|nix|ditch|axe|discard|purge|(?<!the\s)(?<!my\s)bin|"
            r"wipe|cancel|(?:can|should)\s+be\s+(?:deleted|removed|binned|scrapped))\b"
            r"(?!\s+(?:it\s+)?to\s+(?:low|normal|medium))"
            rf"|{_DROPPED}"
            r"|\btake\s+(?:it|that|this|#\d+|task\s*\d+)\s+off\b(?!\s+(?:hold|pause))"
            r"|\blose\s+(?:it|that|this)(?:\s+(?:one|task))?\b|\bcan\s+go\s*[.!]*$"
            r"|\btake\b[^.]{1,60}\boff\s+(?:my|the)\s+(?:list|to-?do|plate)\b"
            r"|\bget\b[^.]{0,30}\bout\s+of\s+here\b"
            # "forget the login docs task": not "don't forget the dentist task"
            r"|^\s*(?:(?:oh|ok|okay|just|actually|so)[,\s]+)*forget\s+(?:about\s+)?(?:the|that|this|my)\b"
            r"[^.,]{0,60}\btask\b",
            _I,
        ),
    ),
    (
        "complete_task",
        re.compile(
            r"\b(?:complete|finish(?:ed)?|check\s+off|tick\s+off|wrap(?:ped)?\s+up|knock(?:ed)?\s+out|"
            r"close\s+out|completed)\b|\bmark\b[^.]*\b(?:done|complete|finished|fixed|sorted|handled)\b|:\s*(?:done|finished|completed?)\b|\b(?:is|as|'s)\s+done\b"
            r"|\bdone\s+with\b|\bi\s+did\b|\bhandled\b|\bsorted\b(?!\s+by)"
            r"|\bi'?ve\s+(?:already\s+)?done\s+(?:task\s*|#)?\d"
            r"|\bmark\s+(?:it|that|this)\s+off\b|\bclose\s+(?:it|that|this)\b"
            r"|\bsent\s+off\b|\bover\s+the\s+line\b|\ball\s+done\b"
            r"|\b(?:tick|check|cross|strike)\b[^.]{0,40}\boff\b|\bstrike\s+(?:it|that|this)\b"
            # "invitations are all out, one down", "consider it paid", "#2 and #4 are done"
            rf"|{_ONE_DOWN}|{_DONE_IDIOM}|\bconsider\s+it\s+(?:done|paid|sorted)\b"
            r"|\bare\s+done\b|\bdone,?\s+tick\b"
            # "Passport's renewed, tick it", "gutters done, tick"
            r"|^\s*(?:and\s+)?(?:tick|check|cross|strike)(?:\s+(?:it|that|this|them))?\s*[.!]*$"
            r"|^\s*(?!i'?m\b|i\s+am\b|we'?re\b)[\w'# ]{2,40}?\s+(?:done|finished)\s*[.!]*$",
            _I,
        ),
    ),
    (
        "update_task",
        re.compile(
            r"\b(?:update|change|set|rename|move|reschedule|postpone|push(?:\s+back)?|bump|delay|edit|"
            r"modify|prioriti[sz]e|make\s+(?:it|its|task|#|that|this)|mark)\b"
            r"|\b(?:i'?ve|i\s+have|i)\s+(?:begun|began|started)\b|\bstarted\s+(?:on|working)\b"
            r"|^\s*(?:i'?m\s+)?starting\s+(?:on\s+)?(?:the|my|#|task)\b"
            r"|\b(?:deadline|due\s+date|priority|description|title)\s+(?:on|of|for)\s+(?:task\s*|#|TASK-)\d"
            r"|(?:\btask[\s#:_-]*\d+|#\d+)(?:'s)?\s+(?:is\s+)?(?:actually\s+|now\s+)*"
            r"(?:due|should\s+be\s+(?:due|called|named))\b"
            r"|\bslipped\b|\bbring\b[^.]*\bforward\b|^\s*(?:please\s+)?start\s+(?:on\s+)?(?:task|#|TASK-)"
            r"|^\s*(?:and\s+)?tag\s+(?:it|that|this|them)\b"
            r"|\bworking\s+on\b|\bin\s+progress\b"
            # "the report can wait till Monday", "release notes slip to Wednesday next week"
            rf"|{_CAN_WAIT}|{_NOW_URGENT}|{_DUE_BY}|{_UNDER_WAY}"
            r"|\bneeds?\s+to\s+happen\s+by\b|\bis\s+(?:urgent|top\s+priority)\b"
            r"|\bi'?m\s+on\s+(?:the|#|task|it)\b|\bpicked\s+up\s+the\b"
            r"|\b(?:put|set)\s+(?:that|this)(?:\s+date)?\s+on\s+it\b"
            r"|\bneeds\s+(?!doing\b)\w+ing\s+(?:by|in|on)\b|\bi'?m\s+in\s+the\s+middle\s+of\b"
            r"|\b(?:is|'s)\s+now\s+the\s+most\s+urgent\b"  # "... due this weekend, put that on it"
            r"|(?:\btask[\s#:_-]*\d+|#\d+)\s+(?:to\s+)?(?:urgent|high|low|normal)\b",
            _I,
        ),
    ),
    (
        "create_task",
        re.compile(
            r"\b(?:add|create|new|make|put|capture|log|jot|note\s+down|note\s+to\s+self|track|schedule)\b"
            r"|\b(?:stick|pop|chuck|throw)\b[^.]*\b(?:on|onto)\s+(?:the|my)\s+(?:list|to-?do)"
            # "task 1 urgent", "TASK-0001": a numbered task exists already
            r"|\b(?:remember|need|have|got)\s+to\b|\btodo\b|\bto-do\b|\btask\b(?![\s#:_-]*\d)"
            r"|\b(?:with|add|create|make)\s+(?:two|three|four|five|\d)\s+(?:new\s+)?tasks\b"
            r"|\b(?:two|three|four|five|\d)\s+(?:new\s+)?tasks\s*:",
            _I,
        ),
    ),
]

# Words that mark a message as being about our domain even without a clear verb.
_DOMAIN_RE = re.compile(
    # "what have I ticked off so far?", "what am I in the middle of?"
    r"\b(?:what|which)\s+(?:\w+\s+){0,2}(?:am\s+i|have\s+i|did\s+i)\s+(?:\w+\s+)?(?:in\s+the\s+"
    r"middle\s+of|working\s+on|ticked|finish(?:ed)?|done|completed|crossed)\b|\btagged\b|"
    r"\b(?:to|on|off)\s+(?:my|the)\s+(?:list|plate)\b|\bnote\s+to\s+self\b|\b(?:tasks?|todos?|to-?dos?|projects?|remind(?:er)?s?|calendar|agenda|schedule|deadline|"
    r"due|priority|urgent|backlog|overdue)\b|#\d+|\btask-\d+",
    _I,
)
_REFERENCE_RE = re.compile(
    r"\b(?:it|its|that|this|that\s+one|this\s+one|(?:that|this)\s+task|"
    r"the\s+(?:last|same|new)\s+(?:one|task))\b",
    _I,
)
_ID_RE = re.compile(r"(?:\btask[\s#:_-]*|#|\bTASK-|\bnumber\s+|\bno\.?\s*)0*(\d{1,9})\b", _I)
# "tasks 2 and 3", "task 2, 5 and 7": one action on several numbered tasks
_ID_LIST_RE = re.compile(
    r"(?:\btasks?\s*|\b(?:complete|finish|delete|remove|close|tick\s+off|done\s+with|done)\s+)#?\d{1,9}"
    r"(?:\s*(?:,|&|\band\b)\s*(?:task\s*)?#?\d{1,9})+",
    _I,
)
_BARE_ID_RE = re.compile(
    r"\b(?:complete|finish|delete|remove|drop|update|change|mark|close|done\s+with)\s+0*(\d{1,9})\b",
    _I,
)


def _priority(text: str) -> str | None:
    if re.search(r"\bnot\s+(?:urgent|pressing|a\s+priority)(?!\s+exactly)\b", text, _I):
        return "low"  # "New task, not urgent: ..."
    text = re.sub(r"\bnot\s+urgent\s+exactly\b", "", text, flags=_I)
    if re.search(
        rf"\btop\s+of\s+the\s+(?:pile|list)\b|\bmost\s+urgent\b|{_RANKED_FIRST}", text, _I
    ):
        return "urgent"
    if re.search(_RANKED_LAST, text, _I):
        return "low"
    if re.search(
        r"\b(?:urgent|urgently|asap|critical|top[- ]priority|highest|drop\s+everything)\b"
        r"|\bfive[-\s]alarm\b|\bjump\s+the\s+queue\b",
        text,
        _I,
    ):
        return "urgent"
    if re.search(r"\bhigh(?:[- ]pri(?:ority)?)?\b|\bimportant\b", text, _I):
        return "high"
    if re.search(
        r"\blow(?:[- ]pri(?:ority)?)?\b|\bwhenever\b|\bno\s+rush\b"
        r"|\b(?:this|it|that)\s+can\s+wait\b",
        text,
        _I,
    ):
        return "low"
    if re.search(r"\b(?:normal|medium)(?:[- ]pri(?:ority)?)?\b", text, _I):
        return "normal"
    return None


def _status(text: str) -> str | None:
    if re.search(rf"\b(?:as|to|it)\s+in[\s-]progress\b|{_PART_DONE}", text, _I):
        return "in_progress"  # "I haven't finished it, but put it as in progress"
    if re.search(
        r"(?:\bnot|\w+n'?t)\s+(?:yet\s+)?(?:been\s+)?(?:done|finished|started|completed)\b",
        text,
        _I,
    ):
        return "pending"
    if re.search(
        r"\b(?:ticked|crossed|checked)\s+off\b|\bdid\s+i\s+(?:already\s+)?(?:finish|complete|do)\b",
        text,
        _I,
    ):
        return "completed"
    if re.search(r"\b(?:completed|done|finished|closed)\b", text, _I):
        return "completed"
    if re.search(
        rf"{_UNDER_WAY}|"
        r"\b(?:in[\s-]progress|started|starting|begun|began|ongoing|working\s+on|"
        r"kicked\s+off|in\s+the\s+middle\s+of)\b|\bi'?m\s+on\s+(?:the|#|task|it)\b"
        r"|^\s*(?:please\s+)?start\s+(?:on\s+)?(?:task|#|TASK-)",
        text,
        _I,
    ):
        return "in_progress"
    if _REOPENS.search(text) or re.search(
        r"\b(?:pending|open|outstanding|not\s+started|to\s+do)\b|\b(?:back\s+)?to\s+to-do\b",
        text,
        _I,
    ):
        return "pending"
    return None


def _tags(text: str) -> list[str] | None:
    hyphenated = re.findall(r"\b([\w]+)-tagged\b", text, _I)  # "errands-tagged tasks"
    if hyphenated:
        return [t.lower() for t in hyphenated]
    hashtags = re.findall(r"(?<![\w&])#([a-z][\w-]*)", text, _I)  # "#church #volunteering"
    if hashtags:
        return [t.lower() for t in dict.fromkeys(hashtags)]
    m = re.search(
        r"\btag(?:ged|s)?\s*(?:it|with|as)?\s+['\"‘“]?([\w-]+(?:['\"’”]?\s*(?:,|and|or)\s*['\"‘“]?[\w-]+)*)",
        text,
        _I,
    )
    if not m:
        return None
    words = re.split(r"\s*(?:,|\band\b|\bor\b)\s*", m.group(1))
    tags = [t.lower().strip("'\"‘’“”#") for t in words if t]
    # "tagged tasks" names no tag
    return [t for t in tags if t not in {"task", "tasks", "items", "ones", "with", "as"}] or None


_PROJECT_ID_RE = re.compile(
    r"\b(?:in|to|into|under|for|from|of)\s+(?:the\s+)?project\s*(?:#|no\.?\s*)?0*(\d{1,9})\b", _I
)


def _project_id(text: str, projects: dict[int, str] | None = None) -> int | None:
    """ "add it to project 1", "which tasks in project 2 ...", or with the user's projects
    (id -> name) "put it in the Q3 Planning project", "everything in the Garden Makeover
    project": the one project all of whose name the request says next to "project"."""
    m = _PROJECT_ID_RE.search(text)
    if m:
        return int(m.group(1))
    unquoted = _quotes_blanked(text)  # "add 'Plan the menu' to the party project"
    if not projects:
        return None
    if not re.search(r"\bprojects?\b", unquoted, _I):
        return project_named(text, projects) if _QUOTED_RE.search(text) else None
    said = _stems(unquoted)
    found = [pid for pid, name in projects.items() if (words := _stems(name)) and words <= said]
    if not found and (short := _SHORT_PROJECT_NAME.search(unquoted)):
        # "the party project" for "Kids' birthday party": every word said is in the name
        said = _stems(short.group(1))
        found = [pid for pid, name in projects.items() if said and said <= _stems(name)]
    return found[0] if len(found) == 1 else None


# "under the bathroom refit", "in with Head of the River", "'X' is a charity week job": a
# one-word name ("Garden") counts only right after such a word
_FILED_UNDER = re.compile(
    r"\b(?:under|into|in\s+with|with|for|to|belongs\s+with|goes\s+with|part\s+of|is\s+an?)\s+"
    r"(?:the\s+|my\s+|our\s+)?$",
    _I,
)


def project_named(text: str, projects: dict[int, str]) -> int | None:
    """The one project a request names without the word "project" ("Stick 'Pick a shower
    screen' under the bathroom refit", "Winter camp: 'Book the ergs'"), outside its quotes:
    every word of the name, or two or more of a longer one; else None."""
    unquoted = _quotes_blanked(text)
    said = _stems(unquoted)
    scores: dict[int, int] = {}
    for project_id, name in projects.items():
        words = _stems(name)
        shared = len(words & said)
        if not words or not (words <= said or shared >= 2):
            continue
        if len(words) == 1:  # "Garden": only as "under the Garden", "into Garden"
            first = re.search(rf"\b{re.escape(name.strip())}\b", unquoted, _I)
            if first is None or not _FILED_UNDER.search(unquoted[: first.start()]):
                continue
        scores[project_id] = shared + (words <= said)
    best = max(scores.values(), default=0)
    found = [project_id for project_id, score in scores.items() if score == best]
    return found[0] if len(found) == 1 else None


def quotes_a_title(text: str) -> bool:
    return _QUOTED_RE.search(text) is not None


def files_into_a_project(text: str, projects: dict[int, str]) -> bool:
    """A quoted title and one of the user's projects: "'Ask the PTA for raffle prizes' is
    a charity week job" asks for a task in that project."""
    return quotes_a_title(text) and project_named(text, projects) is not None


_SHORT_PROJECT_NAME = re.compile(r"\b(?:the|my|our)\s+([\w' -]{2,40}?)\s+project\b", _I)


def _task_id(text: str, focus_task_id: int | None, made_task: bool = False) -> int | None:
    """An explicit id, else "it" meaning the conversation's focus task.

    After a create_task earlier in the same message, "it" means that new task: we
    return None and the execute step binds the id once the task exists.
    """
    m = _ID_RE.search(text) or _BARE_ID_RE.search(text)
    if m:
        return int(m.group(1))
    if focus_task_id is not None and not made_task and _REFERENCE_RE.search(text):
        return focus_task_id
    return None


# A quote opens after a non-word character and closes before one: "task 3's title" holds none.
_QUOTED_RE = re.compile(r"(?<!\w)[\"“'‘`]((?:[^\"”'’`]|(?<=\w)['’](?=\w)){2,200})[\"”'’`](?!\w)")


def _quotes_blanked(text: str) -> str:
    """``text`` with quoted titles blanked, same length: a date inside a title is the title's."""
    return _QUOTED_RE.sub(
        lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], text
    )


def _quoted(text: str) -> str | None:
    m = _QUOTED_RE.search(text)
    return m.group(1).strip() if m else None


_LEADING_NOISE = re.compile(
    r"^(?:(?:hey|hi|yo|ok(?:ay)?|so|please|pls|can\s+you|could\s+you|would\s+you|i'?d\s+like\s+(?:you\s+)?to|"
    r"i\s+want\s+(?:you\s+)?to|let'?s|go\s+ahead\s+and|also|then|and|note\s+to\s+self\s*:?)\s+)+",
    _I,
)
_TASK_LEAD = re.compile(
    r"^(?:(?:add|create|make|put|capture|log|jot(?:\s+down)?|note\s+down|track|schedule|new|set\s+up)\b)?\s*"
    r"(?:me\s+)?(?:(?:a|an|the|one|another)\b)?\s*(?:new\s+)?"
    r"(?:(?:urgent|high|low|normal|medium|important)(?:[- ]pri(?:ority)?)?\s+)?"
    r"(?:(?:task|todo|to-do|item|reminder)\b)?\s*(?:on\s+my\s+list\s*)?"
    r"(?:(?:to|for|called|named|titled|about)\b|:|-)?\s*",
    _I,
)
_TRAILING_NOISE = re.compile(
    # \b: "at", "on", "by" end "feed the cat", "rerun the python", "call Bobby" too
    r"\s*(?:,?\s*\b(?:please|pls|thanks|thank\s+you|asap|for\s+me|to\s+my\s+list|on\s+my\s+list|"
    r"to\s+the\s+list|as\s+a\s+task|with\s+(?:an?\s+)?(?:urgent|high|low|normal|medium)\s+priority|"
    r"(?:urgent|high|low|normal|medium)[- ]priority|priority\s+(?:urgent|high|low|normal|medium)|"
    r"it'?s\s+(?:urgent|important)|it\s+is\s+(?:urgent|important)|urgently|due|by|on|at|before|for))+\s*[.!?]*$",
    _I,
)


def _without(text: str, when: When | None) -> str:
    if when is None:
        return text
    return (text[: when.start] + " " + text[when.end :]).strip()


def _title(clause: str, when: When | None) -> str | None:
    quoted = _quoted(clause)
    if quoted:
        return quoted
    text = _without(clause, when)
    text = re.sub(
        r"\s*,?\s*\b(?:with|and)\s+(?:the\s+|a\s+)?(?:description|notes?|details)\b.*$",
        "",
        text,
        flags=_I,
    )
    text = re.sub(
        r"\btag(?:ged|s)?\s*(?:it|with|as)?\s+#?[\w-]+(?:\s*(?:,|and)\s*#?[\w-]+)*",
        "",
        text,
        flags=_I,
    )
    text = re.sub(r"(?<![\w&])#[a-z][\w-]*", "", text, flags=_I)  # hashtags are tags
    text = re.sub(
        r"\b(?:in|to|for|under)\s+(?:the\s+)?(?:that|this|the\s+new)?\s*project\b.*$",
        "",
        text,
        flags=_I,
    )
    text = _LEADING_NOISE.sub("", text.strip())
    text = re.sub(
        r"^(?:i\s+|i'?ve\s+|i\s+have\s+)?(?:(?:gotta|must|got\s+to|have\s+to|need\s+to)\s+remember"
        r"\s+to|(?:need|have|got|remember)\s+to|gotta)\s+",
        "",
        text,
        flags=_I,
    )
    text = _TASK_LEAD.sub("", text, count=1)
    text = _TRAILING_NOISE.sub("", text).strip(" ,.:;-!?")
    text = re.sub(r"\s+", " ", text)
    if len(text) < 2:
        return None
    return text[0].upper() + text[1:]


def _project_name(clause: str) -> str | None:
    # "... with the description 'Veg beds'": the quoted description is not the name
    clause = re.sub(
        r"\s*,?\s*\b(?:with|and)\s+(?:the\s+|a\s+)?(?:description|notes?|details)\b.*$",
        "",
        clause,
        flags=_I,
    )
    quoted = _quoted(clause)
    if quoted:
        return quoted
    m = re.search(r"\bproject\s+(?:called|named|titled|for)?\s*:?\s*(.+)$", clause, _I)
    if m and m.group(1).strip():
        name = m.group(1)
    else:  # "create a Marketing project"
        m = re.search(r"\b(?:a|an|the|new)\s+(?:new\s+)?(.+?)\s+project\b", clause, _I)
        if not m:
            return None
        name = m.group(1)
    name = _TRAILING_NOISE.sub("", name).strip(" ,.:;-!?'\"")
    return name or None


def _split(text: str) -> list[str]:
    """Clauses of ``text``; a quoted title is never cut ("'Arts Council round, check notes'")."""
    quoted: list[str] = []

    def hide(match: re.Match[str]) -> str:
        quoted.append(match.group(0))
        return f"\x00{len(quoted) - 1}\x00"

    masked = _QUOTED_RE.sub(hide, text.strip())
    clauses = [c for c in _SPLIT_RE.split(masked) if c and c.strip()]
    return [re.sub(r"\x00(\d+)\x00", lambda m: quoted[int(m.group(1))], c) for c in clauses]


_INTO_A_PROJECT = re.compile(
    r"^\s*(?:please\s+)?(?:add|create|put|make)\s+(?:[\"“'‘`][^\"”'’`]+[\"”'’`]|these|the\s+following|them)\s+"
    r"(?:in|into|to|under|for)\s+(?:the\s+|my\s+|our\s+)?(?:[\w'-]+\s+){1,4}project\b",
    _I,
)
_LIST_AND_CALENDAR = re.compile(
    r"^\s*(?:please\s+)?(?:show|list|display|give\s+me|pull\s+up)\b[^.]*\b(?:tasks|to-?dos)\b"
    r"[^.]*\b(?:and|plus|&)\b[^.]*\b(?:calendar|meetings|appointments|events)\b",
    _I,
)
_NEW_PRIORITY = re.compile(r"\bto\s+(?:low|normal|medium|high|urgent)\b", _I)


# "add a task to cancel the gym membership": what follows the head is the title, whose
# verbs ("cancel", "finish", "remove") name no action of ours.
_EXPLICIT_CREATE_HEAD = re.compile(
    r"^\s*(?:(?:please|pls|can\s+you|could\s+you|would\s+you)\s+)?"
    r"(?:add|create|make|put|log|jot\s+down|new|drop|stick|pop)\s+(?:(?:me|a|an|new|another|one)\s+)*"
    r"(?:(?:urgent|high|low|normal|medium|important)(?:[- ]pri(?:ority)?)?\s+)?"
    r"(?:task|to-?do|item)(?:\s*:\s|\s+(?:(?:to|for|called|named|titled|about)\s|[\"“'‘]))",
    _I,
)


# "don't delete task 2, just mark it done": the first clause asks for nothing
_NEGATED = re.compile(
    r"^\s*(?:(?:please|pls|but|and|so|just|whatever\s+you\s+do)[,\s]+)*(?:don'?t|do\s+not|no\s+need\s+to|never)\b",
    _I,
)
# "maybe I should cancel the gym thing?", "I was thinking about deleting task 2 but let's keep
# it": the user is still deciding; a write now would be one nobody asked for
_UNDECIDED = re.compile(
    r"\bshould\s+i\b|\bmaybe\s+i\s+(?:should|could|will)\b|\bnot\s+sure\s+(?:yet|about\s+(?:it|that|this))\b"
    r"|\bnot\s+sure\s*[.?!]*$|\b(?:was|am|i'?m|been)\s+(?:thinking|wondering)\s+(?:about|of|whether|if)\b"
    r"|\blet'?s\s+keep\s+(?:it|that|this|them)\b|\bhaven'?t\s+decided\b"
    r"|\b(?:was|were)\s+going\s+to\s+(?:ask|delete|remove|cancel|mark|add)\b"
    r"|\b(?:just\s+)?leave\s+it\s*(?:for\s+now|as\s+it\s+is|be)?\s*[.!]*$|\bactually,?\s+no\b"
    r"|\bnever\s*mind\b|^\s*(?:what\s+if|what\s+would\s+happen\s+if|if)\s+i\b[^.]*\?"
    r"|^\s*(?:if|in\s+case|unless)\b[^.?]{0,60}?\b(?:i|we)(?:'ll|\s+will|'d|\s+would)\b"
    # "would it be silly to delete all my low-priority tasks?"
    r"|\b(?:would|is)\s+it\s+(?:be\s+)?(?:silly|wise|smart|better|crazy|mad|worth\s+it|"
    r"a\s+(?:good|bad)\s+idea)\s+to\b"
    # "I'd love to start a bird photography project someday": a wish, not a request
    r"|\b(?:i'?d\s+(?:love|like)|i\s+(?:want|hope|wish))\s+to\b[^.]*"
    r"\b(?:someday|some\s+day|one\s+day|eventually)\b",
    _I,
)
# "is task 3 done?", "when is task 4 due?", "did I ever finish the 'Pay fine' task?": a
# question about a task's state is answered by looking, never by changing it
_STATE_QUESTION = re.compile(
    r"^\s*(?:is|are|was|were|did|didn'?t|does|has|hasn'?t|have\s+i|when(?:'s|\s+is|\s+was|\s+did)"
    r"|how\s+(?:far|long)|how'?s|how\s+is)\b(?!\s+(?:it|there)\s+(?:possible|a\s+way)\b)[^?]*\?",
    _I,
)
_NOT_DONE = re.compile(
    r"\b(?:haven'?t|hasn'?t|have\s+not|not|didn'?t|never|isn'?t|wasn'?t)\s+(?:yet\s+|quite\s+|"
    r"actually\s+)?(?:been\s+)?(?:finish|complete|done)",
    _I,
)
_WRITES = ("create_task", "update_task", "complete_task", "delete_task", "create_reminder")
# a clause that only names a task ("the fence painting task - mark it as done")
_NAMES_A_TASK = re.compile(
    r"^\s*(?:(?:and|so|ok(?:ay)?)\s+)?(?:the|my|that|this)\s+[^.?!,]{1,60}?\s+(?:task|to-?do|one)\s*[:.!]*\s*$",
    _I,
)
# "task three", "number twelve": a task numbered in words (not "the gym bag one")
NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        (
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
            *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"),
            *("seventeen", "eighteen", "nineteen", "twenty"),
        )
    )
}
_ID_IN_WORDS = re.compile(
    # not "the number one thing now": a rank, not a task
    rf"\b(task|number|no\.?|item|#)\s*({'|'.join(list(NUMBER_WORDS)[1:])})\b"
    r"(?!\s+(?:thing|priority|job|concern|focus)\b)",
    _I,
)


def ids_in_words(text: str) -> set[int]:
    """The task numbers written as words: "task three" -> {3}."""
    return {NUMBER_WORDS[m.group(2).lower()] for m in _ID_IN_WORDS.finditer(text)}


# the trigger words people mistype most; titles keep their own spelling
_TYPOS = [
    (re.compile(r"\b(?:taks|tsak|tsk|tas)\b", _I), "task"),
    (re.compile(r"\bmak\b", _I), "make"),
    (re.compile(r"\b(?:shud|shld|shoud)\b", _I), "should"),
    (re.compile(r"\bcreat\b", _I), "create"),
    (re.compile(r"\b(?:delet|dlete|delte)\b", _I), "delete"),
    (re.compile(r"\b(?:compelte|complet|comlete)\b", _I), "complete"),
    (re.compile(r"\b(?:remidn|remnid)\b", _I), "remind"),
    (re.compile(r"\bcros\b", _I), "cross"),
    (re.compile(r"\bdun\b", _I), "done"),
    (re.compile(r"\br\s+(?=done\b)", _I), "are "),
    (re.compile(r"\bim\b", _I), "i'm"),
    (re.compile(r"\bbak\b", _I), "back"),
    (re.compile(r"\bhi\s+(?=pri)", _I), "high "),
    (re.compile(r"\bmvoe\b", _I), "move"),
    (re.compile(r"\b(?:tmrw|tmr|tmrow|tomoz)\b", _I), "tomorrow"),
    (re.compile(r"\bwat\b", _I), "what"),
    (re.compile(r"\bfinsh(?=\w*)", _I), "finish"),
    (re.compile(r"\balredy\b", _I), "already"),
    (re.compile(r"\s*->\s*"), " to "),  # "TASK-0002 -> urgent"
    (re.compile(r"\s+\+\s+(?=#|task)", _I), " and "),  # "#1 + #5 both done"
    (re.compile(r"\bb4\b", _I), "before"),
    (re.compile(r"\bmv\b", _I), "move"),
    (re.compile(r"\bnxt\b", _I), "next"),
]


def _fixed_typos(text: str) -> str:
    """Common misspellings of trigger words fixed, and "task three" read as "task 3"."""
    for typo, word in _TYPOS:
        text = typo.sub(word, text)
    return _ID_IN_WORDS.sub(lambda m: f"{m.group(1)} {NUMBER_WORDS[m.group(2).lower()]}", text)


def asks_about_the_agent(text: str) -> bool:
    """An opinion or a capability question ("is it possible to share a project?"): chat."""
    return bool(_ASKS_AN_OPINION.search(text)) and not _ID_RE.search(text)


# "dont delete #2!!", "don't mark the cake order as done yet": asked to leave it alone (not
# "don't forget to call mum", which asks for a task)
_HOLDS_OFF = re.compile(
    r"^\s*(?:(?:no|please|pls|but|and|so|hold\s+on|wait)[,!.\s]+)*(?:don'?t|dont|do\s+not|never)\s+"
    r"(?:\w+\s+)?(?:delete|remove|bin|drop|scrap|complete|finish|mark|tick|close|change|touch|"
    r"move|cancel|update|edit|rename|add|create|make)\b",
    _I,
)


def holds_off(text: str) -> bool:
    """Is the user asking us to leave something as it is ("dont delete #2!!")?"""
    return bool(_HOLDS_OFF.search(_fixed_typos(text)))


def is_undecided(text: str) -> bool:
    """Is the user still deciding ("should I mark task 5 done?"), so nothing may change?"""
    return bool(_UNDECIDED.search(_fixed_typos(text)))


# "show completed tasks and also the ones in progress": more of the same list
_MORE_OF_THE_SAME = re.compile(
    r"^\s*(?:(?:and|also|plus)\s+)*(?:the\s+(?:\w+\s+)?ones|those)\b", _I
)


# "I finished the Berlin marathon last year": a memory, not news about a task
_A_MEMORY = re.compile(
    r"\blast\s+(?:year|summer|winter|spring|autumn|fall)\b"
    r"|\b(?:\d+|a\s+few|two|three|many|some)\s+years\s+ago\b|\bback\s+in\s+(?:19|20)\d\d\b",
    _I,
)
# "Tell Sam to finish the slides", "ask Priyanka to send me the numbers": someone else's job
_SOMEONE_ELSES_JOB = re.compile(
    r"^\s*(?:(?:please|can\s+you|could\s+you|would\s+you)\s+)?(?:tell|ask|get|text|email|message)"
    r"\s+(?!me\b|us\b|the\b|my\b|it\b|task\b)\w+\s+(?:to|that)\b",
    _I,
)
# "delete that email from the recruiter": another app's thing (not "delete the email task")
_ANOTHER_APPS_THING = re.compile(
    r"\b(?:delete|remove|bin|trash|erase|wipe|clear|archive)\s+(?:[\w']+\s+){0,3}?"
    r"(?:e-?mails?|messages?|texts?|photos?|pictures?|files?|folders?|apps?|accounts?|channels?|"
    r"chats?|contacts?|voicemails?|posts?|tweets?|comments?|alarms?|cookies|history)\b"
    r"(?![^.]{0,40}\b(?:task|to-?do)s?\b)",
    _I,
)


_ONLY_A_CONDITION = re.compile(
    r"\b(?:till|until|once|when|after|before|unless|if)\b[^.,;]{0,40}\b(?:are|is|'s|gets?|been)\s+"
    r"(?:sorted|done|finished|handled|completed?)\b(?![^.]*\b(?:tick|mark|cross|complete)\b)",
    _I,
)
_SHARES = re.compile(r"\b(?:share|sync|export)\b[^.]{0,40}\b(?:with|to)\b", _I)
# "wat did i finsh alredy" (no question mark): a question about what was done
_ASKS_WHAT_I_DID = re.compile(r"^\s*(?:what|which)\b[^.]{0,30}\b(?:did|have)\s+i\b", _I)
# "Passport's renewed, tick it": a bare action that belongs to the clause before
_BARE_ACTION = re.compile(
    r"^\s*(?:and\s+)?(?:tick|check|cross|strike)(?:\s+(?:it|that|this|them))?(?:\s+off)?\s*[.!]*$",
    _I,
)


def _intent(clause: str) -> str | None:
    if _MORE_OF_THE_SAME.search(clause):
        return None
    if _NEGATED.search(clause) or _UNDECIDED.search(clause) or _NAMES_A_TASK.search(clause):
        return None
    if _A_MEMORY.search(clause) or _SOMEONE_ELSES_JOB.search(clause):
        return None
    if _SHARES.search(clause) and not _EXPLICIT_CREATE_HEAD.search(clause):
        return None  # "could you share my task list with Dervla?": no tool shares
    if _EXPLICIT_CREATE_HEAD.search(clause):
        return "create_task"
    if re.match(r"\s*(?:can\s+you\s+)?remind\s+me\s+(?:what|which)\b", clause, _I):
        return "list_tasks"  # "remind me what I'm supposed to be working on"
    # a quoted title says nothing about the action: "add 'Prepare agenda'" is no calendar
    unquoted = _QUOTED_RE.sub(" ", clause)
    unquoted = re.sub(r"^\s*(?:and\s+)?(?:then|also|and)\s+", "", unquoted, flags=_I)
    if _LIST_AND_CALENDAR.search(unquoted):
        return "list_tasks"  # the list's clause adds the calendar
    for name, pattern in _INTENT_PATTERNS:
        if pattern.search(unquoted):
            if name in _WRITES and (
                _STATE_QUESTION.search(clause) or _ASKS_WHAT_I_DID.search(clause)
            ):
                return "list_tasks"
            if name == "complete_task" and (
                _NOT_DONE.search(unquoted) or _ONLY_A_CONDITION.search(unquoted)
            ):
                # "I haven't finished the mural sketches yet", "hold off on the hotel till the
                # flights are sorted": nothing is finished
                return None
            if name == "delete_task" and _NEW_PRIORITY.search(unquoted):
                return "update_task"  # "drop task 3 to low priority" keeps the task
            if (
                name == "delete_task"
                and not _ID_RE.search(clause)
                and _ANOTHER_APPS_THING.search(unquoted)
            ):
                return None
            if name == "create_project" and _INTO_A_PROJECT.search(clause):
                return "create_task"  # "create 'X' in the Wedding Prep project"
            # "show my completed tasks" is a list, "what's on my calendar" a calendar
            return name
    if _STATE_QUESTION.search(clause) and (
        _DOMAIN_RE.search(clause)
        or re.search(r"\b(?:yet|already|ever|still|or\s+did\s+i\s+forget)\b", clause, _I)
    ):
        return "list_tasks"  # "is task 3 done?", "did I RSVP to Priya's wedding yet?"
    return None


def detect_intents(text: str) -> list[str]:
    """The tool each clause of ``text`` asks for, in order, once per thing it acts on
    ("delete #2 and #4", "add 'A' and 'B'" ask for two)."""
    intents: list[str] = []
    text = _fixed_typos(text)
    for clause, intent in _inherit_actions([(c, _intent(c)) for c in _split(text)]):
        if intent is None:
            continue
        several: list[Any] = []
        if intent in _ACTIONS_ON_A_TASK:
            several = _listed_ids(clause) or _several_titles(clause)
            if not several and not _ID_RE.search(clause) and _TWO_NAMED.search(clause):
                several = [1, 2]  # "delete both of the Porto tasks": two, found by the lookup
        elif intent in ("create_task", "create_project"):
            several = _several_titles(clause)
        intents += [intent] * max(1, len(several))
        if intent == "list_tasks" and _also_calendar(clause):
            intents.append("get_calendar")
    return intents


def is_in_scope(
    text: str, has_focus_task: bool = False, known_titles: dict[int, str] | None = None
) -> bool:
    """Is this message about tasks, projects, reminders or the calendar?

    ``known_titles`` (the user's open tasks) bring a request into scope that names one of
    them with a clear action or a question about it ("Paid the plumber, tick that off",
    "did I RSVP to Priya's wedding yet?"); a bare statement ("the plumber came and sorted
    the leak") stays chat.
    """
    text = _fixed_typos(text)
    if _ASKS_AN_OPINION.search(text) and not _ID_RE.search(text):
        return False  # "is a to-do list better on paper, in your opinion?" is chat
    if _DOMAIN_RE.search(text) or (detect_intents(text) and _intent_is_strong(text)):
        return True
    if known_titles and asks_about_own_task(text, known_titles):
        return True
    # "make it urgent" / "mark that done" continue the conversation about a task.
    return has_focus_task and bool(_REFERENCE_RE.search(text)) and bool(detect_intents(text))


# "the gutters are done, strike it", "Kim's report can wait till Monday", "passport renewal is
# now urgent": said of a task the user has, these ask for the change
_SAYS_WHAT_BECAME_OF_IT = re.compile(
    rf"\bstrike\b|{_ONE_DOWN}|{_CAN_WAIT}|{_NOW_URGENT}|{_UNDER_WAY}|{_DUE_BY}|\bconsider\s+it\b"
    rf"|{_PART_DONE}|{_RANKED_FIRST}|{_RANKED_LAST}|{_DONE_IDIOM}|{_DROPPED}"
    r"|\b(?:that'?s|it'?s)\s+(?:handled|sorted|done)\b|\b(?:is|are|'s)\s+(?:done|sorted|handled)\b"
    r"|\bdone,?\s+tick\b|\btick\s+it\b|\bbring\s+it\s+back\b|^\s*[\w' ]{2,40}?\s+done\s*[.!,]"
    r"|\bby\s+(?:the\s+\d+(?:st|nd|rd|th)?|\w+day)\b|\btop\s+priority\b|\bmake\s+it\s+(?:low|high|urgent)\b"
    r"|\bi'?m\s+on\b|\bworking\s+on\s+it\b|\b(?:drop|scrap|lose)\s+(?:it|that)\b"
    r"|\bback\s+on\s+my\s+list\b|\bon\s+it\b|\bclose\s+(?:it|that)\b"
    r"|\bneeds\s+(?!doing\b)\w+ing\b|\bin\s+the\s+middle\s+of\b|\bmost\s+urgent\b|\bare\s+paid\b|\bcan\s+go\s*[.!]*$",
    _I,
)


_PAST_FORM = re.compile(
    r"\b[a-z]{3,}ed\b|\b(?:paid|bought|sent|written|made|taken|done|sold|told|rung|fed|found|built)\b",
    _I,
)


# "not renewed yet", "still has to be cancelled", "tell Sam the licence is renewed"
_NOT_SO = re.compile(
    r"\bnot\b|n'?t\b|\bnever\b|\byet\s+to\b|\bstill\s+(?:has|have|needs?|to)\b|^\s*(?:tell|ask|let)\s+\w+",
    _I,
)


# "the rate card's updated", "Dad's been reminded", "I've renewed": said of the thing, or by
# the user; "PRS licence renewed 👍", "Sky's cancelled, at last": nothing after it but that.
# Not "my sister just cancelled her holiday": someone else's news about something else.
_SAID_OF_IT = re.compile(
    r"(?:'s|\b(?:is|are|was|were|been|got|get|have|has|i|i've|ive|we|we've|all|finally))\s+$", _I
)
_NOTHING_MORE = re.compile(r"\s*(?:$|[^\w\s])")
# "Arthur on plot 12 finally pruned his apple trees": someone else's news about their own thing
_THEIR_OWN = re.compile(r"\b[a-z]{3,}ed\s+(?:his|her|their)\b", _I)


def said_done(text: str, titles: dict[int, str]) -> int | None:
    """The one task whose own verb the message says in the past, of the thing the title
    names: "PRS licence renewed 👍" for "Renew the PRS music licence", "Sky's cancelled" for
    "Cancel the Sky subscription"; None for questions, negations, memories, conditions."""
    text = _fixed_typos(text)
    # a question mark and _NOT_SO already cover _STATE_QUESTION, _NOT_DONE and _NEGATED
    guards = (_NOT_SO, _UNDECIDED, _A_MEMORY, _SOMEONE_ELSES_JOB, _THEIR_OWN)
    if "?" in text or any(guard.search(text) for guard in guards):
        return None
    past = {
        _stem(m.group(0).lower())
        for m in _PAST_FORM.finditer(text)
        if _SAID_OF_IT.search(text, 0, m.start()) or _NOTHING_MORE.match(text, m.end())
    }
    said = _stems(text)
    scores = {}
    for task_id, title in titles.items():
        words = _CONTENT_WORD.findall(title.lower())
        verb = _stem(words[0]) if words else ""
        if verb in past and (shared := len((_stems(title) - {verb}) & (said - {verb}))):
            scores[task_id] = shared
    best = [task_id for task_id, score in scores.items() if score == max(scores.values())]
    return best[0] if len(best) == 1 else None


def asks_about_own_task(text: str, titles: dict[int, str]) -> bool:
    """Does ``text`` name one of these open tasks with a clear action or a question about it?"""
    text = _fixed_typos(text)
    if not names_a_known_task(titles, text):
        return False
    intents = detect_intents(text)
    return bool(intents) and (
        set(intents) <= {"list_tasks"}
        or _intent_is_strong(text)
        or bool(_SAYS_WHAT_BECAME_OF_IT.search(text))
    )


_ASKS_AN_OPINION = re.compile(
    r"^\s*(?:is\s+it\s+possible|is\s+there\s+a\s+way|do\s+you\s+support|does\s+(?:this|it)\s+"
    r"(?:app\s+)?(?:support|let)|how\s+do\s+i|how\s+can\s+i|can\s+you\s+even|are\s+you\s+able)\b"
    r"|\bin\s+your\s+(?:opinion|view)\b|\bdo\s+you\s+(?:think|reckon|recommend|prefer)\b"
    r"|\bwhat\s+do\s+you\s+think\b",
    _I,
)


def _intent_is_strong(text: str) -> bool:
    """Verbs like 'add' or 'make' alone are too common; require a task-ish object."""
    strong = re.search(
        r"\bremind|\b(?:ping|nudge|alert)\s+me\b|\bcomplete|\bfinish|\bdelete|\bremove|\breschedule|\bpostpone|\bmark\b|\bcalendar"
        r"|\bagenda|\bneed\s+to\b|\bhave\s+to\b|\bremember\s+to\b|\bjot\b|\bnote\s+down"
        # "yo add fix bike brakes": an imperative "add" that opens the message
        r"|^\s*(?:(?:hey|hi|yo|ok(?:ay)?|pls|please)[\s,!]+)*add\s+(?!up\b|\d)['\"‘“]?[a-z]"
        r"|\b(?:tick|check|cross)\s+(?:(?:it|that|this|them|both)\s+(?:one\s+)?)?off\b"
        r"|\b(?:push|move|bump)\b[^.]{0,60}?\b(?:back|forward)\b|\bget\s+rid\s+of\b|\b(?:scrap|nix|ditch|bin)\b"
        # "MOVE THE VAN MOT TO NEXT TUESDAY": moved to a date is a task being rescheduled
        r"|\b(?:move|push|bump)\s+(?!(?:it|that|this)\b)[^.]{0,60}?\bto\s+(?:next\s+|this\s+)?"
        r"(?:mon|tue|wed|thu|fri|sat|sun|tomorrow|the\s+\d)",
        text,
        _I,
    )
    return strong is not None


def _calendar_args(clause: str, now: datetime) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if re.search(r"\bnext\s+week\b", clause, _I):
        start = now.date() + timedelta(days=7 - now.weekday())
        return {"date": start.isoformat(), "days": 7}
    if re.search(r"\b(?:this\s+week|the\s+week|week)\b", clause, _I):
        return {"date": now.date().isoformat(), "days": 7 - now.weekday()}
    if re.search(r"\b(?:this|the|next)\s+weekend\b", clause, _I) and (
        weekend := find_when(clause, now)
    ):
        return {"date": weekend.value.date().isoformat(), "days": 2}
    span = re.search(r"\b(?:next|coming|following)\s+(\d{1,2}|[a-z]+)\s+days\b", clause, _I)
    if span and (span.group(1).isdigit() or span.group(1).lower() in NUMBER_WORDS):
        count = span.group(1)  # "the next 3 days", "the next three days"
        return {"days": int(count) if count.isdigit() else NUMBER_WORDS[count.lower()]}
    when = find_when(clause, now)
    if when is not None:
        args["date"] = when.value.date().isoformat()
    return args


def _list_args(
    clause: str, now: datetime, projects: dict[int, str] | None = None
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    status = _status(clause)
    if status:
        args["status"] = status
    priority = _priority(clause)
    if priority:
        args["priority"] = priority
    if re.search(r"\boverdue\b|\blate\b", clause, _I):
        args["due_before"] = (now.date() - timedelta(days=1)).isoformat()
    elif re.search(r"\b(?:due|before|by)\b", clause, _I) and (when := find_when(clause, now)):
        args["due_before"] = when.value.date().isoformat()
    elif re.search(r"\bthis\s+week\b", clause, _I):
        args["due_before"] = (now.date() + timedelta(days=6 - now.weekday())).isoformat()
    tags = _tags(clause)
    if tags:
        args["tags"] = tags
    if (project := _project_id(clause, projects)) is not None:
        args["project_id"] = project
    return args


def _is_only_a_date(text: str, now: datetime) -> bool:
    when = find_when(text, now)
    return when is not None and not text[: when.start].strip() and not text[when.end :].strip()


def _update_args(clause: str, now: datetime) -> dict[str, Any]:
    args: dict[str, Any] = {}
    rename = re.search(
        r"\b(?:rename|retitle|call)\b.*?\bto\s+(.+)$|\b(?:call|name)\s+it\s+(.+)$"
        r"|\bshould\s+be\s+(?:called|named)\s+(.+)$|\b(?:title|name)\b.*?\bto\s+(.+)$",
        clause,
        _I,
    )
    new_name = next((g for g in rename.groups() if g), "") if rename else ""  # "... 'A' to 'B'": B
    title = (_quoted(new_name) or new_name).strip(" .!?'\"")
    if title and not _is_only_a_date(title, now):
        # not "push the wholesaler call both to Monday": a call moved to a day is no rename
        args["title"] = title
    note = re.search(r"\b(?:note|description|comment)\b[^:]*:\s*(.+)$", clause, _I) or re.search(
        r"\b(?:note|description|comment)\b.*?\b(?:saying|that\s+says|reading|:|to)\s*(.+)$",
        clause,
        _I,
    )
    if note:
        args["description"] = (_quoted(note.group(1)) or note.group(1)).strip(" .!?'\"")
        return args
    priority = _priority(clause)
    if priority:
        args["priority"] = priority
    status = _status(clause)
    if _REOPENS.search(clause):
        status = "pending"
    if status and status != "completed":
        args["status"] = status
    when = find_when(clause, now)
    if when is not None and "title" not in args and not _WHEN_IT_HAPPENED.search(clause):
        args["due_date"] = when.value.date().isoformat()
    return args


# "made a start on it last night", "began it yesterday": when it happened, not a due date
_WHEN_IT_HAPPENED = re.compile(
    r"\b(?:last\s+night|yesterday|earlier\s+today|\w+\s+ago|(?<!due\s)(?<!to\s)this\s+morning)\b",
    _I,
)


_CONTENT_WORD = re.compile(r"[a-z0-9]{3,}")
_NOT_A_NAME = {
    *("task", "tasks", "the", "and", "for", "due", "add", "create", "new", "project", "with"),
}


# "Paid the plumber": the past of a verb names the task "Pay the plumber"
_IRREGULAR = {
    **{"paid": "pay", "bought": "buy", "sent": "send", "wrote": "write", "written": "write"},
    **{"made": "make", "took": "take", "taken": "take", "got": "get", "gotten": "get"},
    **{"did": "do", "done": "do", "went": "go", "gone": "go", "brought": "bring"},
    **{"sold": "sell", "told": "tell", "rang": "ring", "rung": "ring", "fed": "feed"},
    **{"found": "find", "built": "build", "taught": "teach", "caught": "catch"},
    **{"spoke": "speak", "spoken": "speak", "chose": "choose", "chosen": "choose"},
}


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    word = re.sub(r"(?<=\w{3})(?:ing|ed)$|(?<=\w{4})(?:es|s)$", "", word)  # "mowing" -> "mow"
    word = re.sub(r"([b-df-hj-np-tv-z])\1$", r"\1", word)  # "wrapped" -> "wrapp" -> "wrap"
    # "chasing" -> "chas" meets "chase"; cut to five letters so "budget" meets "budgeting"
    return re.sub(r"(?<=\w{3})e$", "", word)[:5]


def _stems(text: str) -> set[str]:
    """Content words, stemmed, so "Paid the plumber" names "Pay the plumber"."""
    return {_stem(w) for w in _CONTENT_WORD.findall(text.lower())} - _NOT_A_NAME_STEMS


_NOT_A_NAME_STEMS = {_stem(w) for w in _NOT_A_NAME}


def names_a_known_task(titles: dict[int, str], text: str) -> bool:
    """Does ``text`` name one of these tasks: two of its words, all of a one-word title, or
    one long word no other title has ("Kowalczyk paid up", "scratch the caterer idea")?"""
    wanted = _stems(text)
    stems = [_stems(title) for title in titles.values()]
    titles_with = Counter(word for words in stems for word in words)
    for words in stems:
        shared = words & wanted
        if len(shared) >= 2 or (shared and shared == words):
            return True
        if any(len(word) >= 5 and titles_with[word] == 1 for word in shared):
            return True
    return False


def _task_the_message_is_about(titles: dict[int, str], message: str) -> int | None:
    """The one task whose title says what the reminder's message says: all of the message's
    words, or two or more with one side contained in the other ("the swim kit" is "Pack
    Leo's swim kit"); else None."""
    said = _stems(message.split(",")[0])  # "the tux, the hire shop shuts at 5": the tux
    stems = {task_id: _stems(title) for task_id, title in titles.items()}
    found = [
        task_id
        for task_id, words in stems.items()
        if (len(said & words) >= 2 and (said <= words or words <= said)) or (said and said <= words)
    ]
    if not found:
        # "at noon about the swimming fees": one title alone holds a long word of the message
        found = [
            task_id
            for task_id, words in stems.items()
            if any(
                len(word) >= 4
                and all(word not in other for i, other in stems.items() if i != task_id)
                for word in said & words
            )
        ]
    return found[0] if len(found) == 1 else None


def tasks_named(titles: dict[int, str], text: str) -> set[int]:
    """The tasks (id -> title) whose titles ``text`` names best; none if it names none."""
    wanted = _stems(text)
    scores = {task_id: len(_stems(title) & wanted) for task_id, title in titles.items()}
    best = max(scores.values(), default=0)
    return {task_id for task_id, score in scores.items() if best and score == best}


def tasks_mentioned(titles: dict[int, str], text: str) -> set[int]:
    """The tasks ``text`` names best, plus each task one of its parts names on its own:
    "done with the stair carpet quotes AND the boiler service" names both."""
    found = tasks_named(titles, text)
    for part in re.split(r"\s*(?:[,;&]|\band\b|\bthen\b)\s*", text, flags=_I):
        named = tasks_named(titles, part) if part.strip() else set()
        if len(named) == 1:
            found |= named
    return found


_ACTIONS_ON_A_TASK = ("complete_task", "delete_task", "update_task")
_ALSO_CALENDAR = re.compile(r"\b(?:meetings?|events?|appointments?|calendar)\b", _I)


def _also_calendar(clause: str) -> bool:
    """A list that asks for meetings too; not "did I book the dentist appointment yet?"."""
    return bool(_ALSO_CALENDAR.search(clause)) and not _STATE_QUESTION.search(clause)


_PARENTHESISED_PRIORITY = re.compile(r"^\s*\((urgent|high|low|normal|medium)(?:\s+priority)?\)", _I)


_LOOKS_LIKE_A_TIME = re.compile(
    r"\d|\b(?:today|tonight|tomorrow|next|this|noon|midnight|morning|afternoon|evening|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    _I,
)


# "Sign-ups close a week from Monday. Put a task in so I don't miss it": the clause before
# says what the task is
_ADD_IT_AS_A_TASK = re.compile(
    r"^\s*(?:(?:please|pls|can\s+you|could\s+you)\s+)?(?:add|put|make|log|stick|turn)\s+"
    r"(?:(?:it|this|that)\s+(?:in\s+|into\s+)?(?:as\s+)?(?:an?\s+)?(?:(?:high|low|urgent|normal|"
    r"medium|top)[\s-]+(?:priority\s+)?)?(?:task|to-?do)|a\s+task\s+in"
    r"|(?:it|this|that)\s+(?:on|to)\s+(?:my|the)\s+(?:list|to-?dos?))\b",
    _I,
)


def _priority_said(match: re.Match[str]) -> str:
    priority = _priority(match.group(0))
    return f"{priority} priority" if priority else ""


def _inherit_actions(clauses: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """A clause that only names a task takes its neighbour's action: "delete #2 and #4",
    "both TASK-0001 and TASK-0003 are finished", "make task 4 low and task 1 urgent"."""
    merged: list[tuple[str, str | None]] = []
    # "the homework is in progress - wait no, it's actually finished": the first is taken back
    clauses = [
        (clause, None)
        if i + 1 < len(clauses)
        and _RETRACTS.match(clauses[i + 1][0])
        and not any(_QUOTED_RE.search(later) for later, _ in clauses[i + 1 : i + 3])
        else (clause, intent)
        for i, (clause, intent) in enumerate(clauses)
    ]
    for clause, intent in clauses:
        lead = merged[-1] if merged else None
        if lead and lead[1] in (None, intent) and intent and _BARE_ACTION.match(clause):
            merged[-1] = (f"{lead[0]}, {clause}", intent)
            continue
        if lead and _ADD_IT_AS_A_TASK.search(clause) and not _ID_RE.search(lead[0]):
            # "add it as a high priority task": the priority stays, the rest is the lead's
            rest = _ADD_IT_AS_A_TASK.sub(_priority_said, clause).strip(" ,.")
            merged[-1] = (f"{lead[0]}, {rest}" if rest else lead[0], "create_task")
            continue
        # "Next Monday 10am, remind me about TASK-0002": the lead-in is the reminder's time
        lead = merged[-1] if merged else None
        if (
            lead
            and lead[1] is None
            and intent is not None
            and not _ID_RE.search(lead[0])
            and (
                _LOOKS_LIKE_A_TIME.search(lead[0])  # not "hey, add milk"
                # "the fence painting task - mark it as done", "I don't need the parking
                # permit one anymore, just delete that task": "it" is the task named before
                or (
                    (_REFERENCE_RE.search(clause) or re.search(r"\b(?:them|both)\b", clause, _I))
                    and intent in _ACTIONS_ON_A_TASK
                )
            )
        ):
            merged[-1] = (f"{lead[0]}, {clause}", intent)
        else:
            merged.append((clause, intent))
    clauses = merged
    inherited = list(clauses)
    for i, (clause, intent) in enumerate(clauses):
        if intent is not None:
            continue
        if i and inherited[i - 1][1] == "list_tasks" and _MORE_OF_THE_SAME.search(clause):
            inherited[i] = (clause, "list_tasks")
            continue
        if (
            i
            and clauses[i - 1][1] == "create_reminder"
            and re.match(r"(?:at|on)\s+(?:\d|(?:noon|midday|midnight)\b)", clause)
        ):
            inherited[i] = (clause, "create_reminder")  # "..., and at 2pm to collect the passports"
            continue
        if not _ID_RE.search(clause) or _NEGATED.search(clause) or _UNDECIDED.search(clause):
            continue
        neighbours = (
            [n for _, n in clauses[i - 1 :: -1][:1] + clauses[i + 1 : i + 2]]
            if i
            else [n for _, n in clauses[i + 1 : i + 2]]
        )
        action = next((n for n in neighbours if n in _ACTIONS_ON_A_TASK), None)
        inherited[i] = (clause, action)
    return inherited


def _listed_ids(clause: str) -> list[int]:
    """The ids of "tasks 2 and 3" / "task 2, 5 and 7", in order; [] when none is listed."""
    listed = _ID_LIST_RE.search(clause)
    if not listed:
        return []
    ids = [int(n) for n in re.findall(r"\d{1,9}", listed.group(0))]
    return list(dict.fromkeys(ids))


def _tasks_each_named(known_tasks: dict[int, str], clause: str) -> list[int]:
    """One task per quoted title when a clause names two or more and each names exactly one."""
    titles = _several_titles(clause)
    if len(titles) < 2:
        return []
    ids = [tasks_named(known_tasks, title) for title in titles]
    if any(len(found) != 1 for found in ids):
        return []
    return list(dict.fromkeys(next(iter(found)) for found in ids))


def _several_titles(clause: str) -> list[str]:
    """Two or more things to create in one clause: quoted ("add 'A' and 'B'"), or listed
    after a colon ("add three tasks to it: venue, catering, invitations")."""
    quoted = [
        m.group(1).strip()
        for m in _QUOTED_RE.finditer(clause)
        # "add 'A' to project 'B'": B is where it goes, not a second task; nor is a description
        # ("add these to my Fitness project: 'A', 'B'" lists tasks after the colon)
        if re.search(r"\b(?:these|the\s+following)\b[^:]*:", clause[: m.start()], _I)
        or not re.search(
            r"\b(?:project|description|note|notes|details|comment)\s*(?:called|named|of|saying|:)?\s*$",
            clause[: m.start()],
            _I,
        )
    ]
    if len(quoted) >= 2:
        return quoted
    listed = re.search(r"\b(?:tasks|projects|things|items)\b[^:]{0,30}:\s*(.+)$", clause, _I)
    if not listed:
        return []
    items = re.split(r"\s*(?:,|;|\band\b)\s*", listed.group(1))
    return [i.strip(" .!?'\"“”‘’") for i in items if i.strip(" .!?'\"“”‘’")]


_DESCRIPTION_RE = re.compile(
    r"\b(?:description|notes?|details)\s*(?:of|:|saying|reading|that\s+says)?\s*"
    r"(?:[\"“'‘`]([^\"”'’`]{2,500})[\"”'’`]|(?<=:)\s*(.+)$)",
    _I,
)


def _description(clause: str) -> str | None:
    """ "... and the description 'Mostly the integration suite'", "..., notes: bring ID"."""
    found = _DESCRIPTION_RE.search(clause)
    if not found:
        return None
    text = (found.group(1) or found.group(2) or "").strip(" .!?")
    return text or None


def _earlier_task_named(calls: list[PlannedCall], clause: str) -> str | None:
    """A reference ("$1") to the task this message created earlier and this clause names by
    title, when that is not the last one created (execute binds the last by default)."""
    created = {i: c.arguments["title"] for i, c in enumerate(calls) if c.name == "create_task"}
    if len(created) < 2:
        return None
    named = tasks_named(created, clause)
    if len(named) != 1 or (position := next(iter(named))) == max(created):
        return None
    return f"${position + 1}"


_NOTE_FOR_IT = re.compile(
    r"^\s*(?:and\s+)?(?:add|put)\s+(?:a\s+)?(?:note|description|comment)\s*:", _I
)


# "both", "X and the Y", "the gym locker and gym induction tasks"
# "no wait, make that 'Text the plumber'": the title just given is replaced
_CORRECTION = re.compile(
    rf"^\s*(?:{_TAKE_BACK}|i\s+mean)\b[,\s]*"
    r"(?:(?:no[,\s]+)?(?:make|call|change)\s+(?:that|it)(?:\s+to)?\b|(?:it\s+should\s+be))",
    _I,
)
_RETRACTS = re.compile(
    r"^\s*(?:no[,\s]+wait|wait[,\s]+no|scratch\s+that|sorry[,\s]+no|no[,\s]+no)\b", _I
)
_ALREADY_HAVE = re.compile(
    r"\b(?:i\s+)?already\s+(?:have|got)\s+(?:that|it|this)(?:\s+one)?\b"
    r"|\b(?:that|it)(?:\s+one)?\s+(?:already\s+exists|is\s+already\s+(?:there|on\s+(?:my|the)\s+list))",
    _I,
)
_REOPENS = re.compile(
    rf"{_REOPEN_WORDS}|\bun-?tick",
    _I,
)
_TWO_NAMED = re.compile(r"\bboth\b|\band\s+the\b|\band\s+[^.,]{2,40}\btasks\b", _I)


def _fold_into_last_create(calls: list[PlannedCall], clause: str, now: datetime) -> None:
    """A sentence after a create that only adds to it: a priority ("this can wait"), a
    deadline ("Need them by saturday"), a description ("Description: ...")."""
    last = next((c for c in reversed(calls) if c.name in ("create_task", "create_project")), None)
    if last is None:
        return
    note = re.match(
        r"^\s*(?:(?:and\s+)?(?:add|put)\s+(?:a\s+)?)?(?:description|notes?|details|comment)\s*:\s*(.+)$",
        clause,
        _I,
    )
    if note and "description" not in last.arguments:
        last.arguments["description"] = note.group(1).strip(" .!?")
        return
    if last.name != "create_task":
        return
    priority = _priority(clause)
    if priority and "priority" not in last.arguments:
        last.arguments["priority"] = priority
    when = find_when(clause, now)
    needed_by = re.search(r"\b(?:need|needs|needed|by|due|before|deadline)\b", clause, _I)
    if when is not None and needed_by and "due_date" not in last.arguments:
        last.arguments["due_date"] = when.value.date().isoformat()


def _both_named(known_tasks: dict[int, str], clause: str) -> list[tuple[int, str]]:
    """Two tasks named in one clause, each with its part of the clause: "delete both of the
    Porto tasks", "I'm done with the stair carpet quotes AND the boiler service"; [] unless
    each is named unambiguously."""
    if not _TWO_NAMED.search(clause):
        return []
    parts = re.split(r"\s+and\s+(?=the\b)", clause, maxsplit=1, flags=_I)
    if len(parts) == 1 and re.search(r"\btasks\b", clause, _I):
        parts = re.split(r"\s+and\s+", clause, maxsplit=1, flags=_I)
    found = [tasks_named(known_tasks, part) for part in parts]
    if len(parts) == 2 and all(len(ids) == 1 for ids in found) and found[0] != found[1]:
        return [(next(iter(ids)), part) for ids, part in zip(found, parts, strict=True)]
    named = tasks_named(known_tasks, clause)
    if re.search(r"\bboth\b", clause, _I) and len(named) == 2:
        return [(task_id, clause) for task_id in sorted(named)]
    return []


_TIME_ONLY = re.compile(
    r"(?:at\s+)?(?:\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|midday|midnight)", _I
)


def _own_when(title: str, titles: list[str], clause: str, now: datetime) -> When | None:
    """The date written right after this title, before the next one ("'A' due September 1
    and 'B' due September 14"); None when the clause gives one date for all."""
    start = clause.find(title) + len(title)
    later = [clause.find(t, start) for t in titles if clause.find(t, start) > start]
    segment = clause[start : min(later, default=len(clause))]
    return find_when(_quotes_blanked(segment), now)


_SAID_OF_ALL = re.compile(r".*\b(?:both|all(?:\s+of\s+them)?)\s+\w+", _I)


def _create_call(
    title: str, clause: str, when: When | None, projects: dict[int, str] | None = None
) -> PlannedCall:
    """One of several creates in a clause: its own "(high)", the clause's date and tags."""
    args: dict[str, Any] = {"title": title[0].upper() + title[1:]}
    after = clause[clause.find(title) + len(title) :].lstrip("'\"”’` ")
    own = _PARENTHESISED_PRIORITY.match(after)
    if own:
        args["priority"] = {"medium": "normal"}.get(own.group(1).lower(), own.group(1).lower())
    # "'A' and 'B', both urgent": a priority said of all the titles
    elif priority := _priority((_SAID_OF_ALL.match(after) and after) or ""):
        args["priority"] = priority
    if when is not None:
        args["due_date"] = when.value.date().isoformat()
    tags = _tags(clause)
    if tags:
        args["tags"] = tags
    if (project := _project_id(clause, projects)) is not None:
        args["project_id"] = project
    return PlannedCall("create_task", args)


# Questions about a reminder's time: only the user can say when (a model would make one up)
ASK_WHEN_TO_REMIND = "When should I remind you?"
ASK_WHEN_DUE = "When is that task due? I need its date to set the reminder."
_DUE_WORDS = re.compile(r"\b(?:(?:is|are|it'?s|'s)\s+)?due\b.*$|\b(?:deadline|appointment)\b", _I)


def _due_of(
    calls: list[PlannedCall],
    task_id: int | None,
    made_task: bool,
    due_dates: dict[int, date] | None,
) -> date | None:
    """When the task a reminder is about is due: as this request sets it, else as stored."""
    for call in reversed(calls):
        if "due_date" in call.arguments and (
            (call.name == "create_task" and made_task and task_id is None)
            or (call.name == "update_task" and call.arguments.get("task_id") == task_id)
        ):
            return date.fromisoformat(str(call.arguments["due_date"]))
    return (due_dates or {}).get(task_id) if task_id is not None else None


def plan(
    text: str,
    now: datetime,
    focus_task_id: int | None = None,
    intent: str | None = None,
    known_tasks: dict[int, str] | None = None,
    open_tasks: dict[int, str] | None = None,
    projects: dict[int, str] | None = None,
    due_dates: dict[int, date] | None = None,
) -> Plan:
    """Read ``text`` into tool calls, resolving "it" to ``focus_task_id``.

    ``intent`` reads the whole message as that one action (the intent classifier's
    reading of an idiom the patterns miss); ``known_tasks`` (id -> title, from a lookup)
    resolves a task named by its title; ``open_tasks`` (the user's open tasks) links a
    reminder whose message is one of them to that task; ``projects`` (the user's projects)
    resolves a project named by its name; ``due_dates`` (when open tasks are due) sets "the
    evening before it's due".
    """
    result = Plan()
    made_task = False
    text = _fixed_typos(text)
    clauses = _inherit_actions([(clause, _intent(clause)) for clause in _split(text)])
    if intent is not None:
        clauses = [(text, intent)]
    for position, (clause, intent) in enumerate(clauses):
        creates = [c for c in result.calls if c.name == "create_task"]
        if creates and _CORRECTION.match(clause) and (new_title := _quoted(clause)):
            creates[-1].arguments["title"] = new_title  # "add 'A' - no wait, make that 'B'"
            continue
        if creates and _ALREADY_HAVE.search(clause):
            # "add 'Order birthday cake' - actually I already have that one. Remind me about
            # it Thursday": no new task; "it" is the one they have
            retracted = creates[-1]
            result.calls.remove(retracted)
            made_task = False
            named = tasks_named(known_tasks or {}, str(retracted.arguments["title"]))
            if len(named) != 1:
                result.calls.append(PlannedCall("list_tasks", {}))
                result.question = "Which task do you mean? Tell me its number, like #3."
                break
            focus_task_id = next(iter(named))
            continue
        if (
            intent is None
            and (mine := known_tasks or open_tasks)
            and (done := said_done(clause, mine)) is not None
        ):
            result.calls.append(
                PlannedCall("complete_task", {"task_id": done})
            )  # "Sky's cancelled"
            focus_task_id, made_task = done, False
            continue
        if intent is None and projects and files_into_a_project(clause, projects):
            intent = "create_task"  # "'Ask the PTA for raffle prizes' is a charity week job"
        numbered = _ID_RE.search(clause) or _BARE_ID_RE.search(clause)
        if numbered:  # "TASK-0002: that's been handled, mark it off": "it" is task 2 from here on
            focus_task_id, made_task = int(numbered.group(1)), False
        if intent is None:  # "don't delete task 2, just mark it done": "it" is still task 2
            if made_task or (result.calls and result.calls[-1].name == "create_project"):
                # "Add a task to reorganise the spice drawer. honestly this can wait"
                _fold_into_last_create(result.calls, clause, now)
            continue
        when = find_when(_quotes_blanked(clause), now)  # "add 'Pick next month's book'"
        several = _listed_ids(clause)
        if intent in ("complete_task", "delete_task", "update_task") and len(several) >= 2:
            changes = _update_args(clause, now) if intent == "update_task" else {}
            if intent == "update_task" and not changes:
                result.question = "What should I change about those tasks?"
                break
            result.calls += [PlannedCall(intent, {"task_id": i} | changes) for i in several]
        elif (
            intent in _ACTIONS_ON_A_TASK
            and known_tasks
            and (named_ids := _tasks_each_named(known_tasks, clause))
        ):  # "Mark 'Fix squeaky door' and 'Oil the bike chain' both done", after the lookup
            changes = _update_args(clause, now) if intent == "update_task" else {}
            result.calls += [PlannedCall(intent, {"task_id": i} | changes) for i in named_ids]
        elif (
            intent in _ACTIONS_ON_A_TASK
            and known_tasks
            and (both := _both_named(known_tasks, clause))
        ):
            for named_id, part in both:  # "make the caterer email urgent and the bunting low"
                changes = {}
                if intent == "update_task":
                    changes = _update_args(part, now) or _update_args(clause, now)
                result.calls.append(PlannedCall(intent, {"task_id": named_id} | changes))
        elif intent in ("complete_task", "delete_task", "update_task"):
            task_id = _task_id(clause, focus_task_id, made_task)
            if task_id is None and known_tasks:
                named = tasks_named(known_tasks, clause)
                task_id = next(iter(named)) if len(named) == 1 else None
                if task_id is not None:  # "bump the funding application ... remind me about it"
                    focus_task_id, made_task = task_id, False
            if (
                task_id is None
                and not (made_task and _REFERENCE_RE.search(clause))
                and not (made_task and intent == "update_task" and _NOTE_FOR_IT.match(clause))
            ):
                # "reopen the chair leg one": a finished task is not among the open ones
                lookup = {"status": "completed"} if _REOPENS.search(clause) else {}
                result.calls.append(PlannedCall("list_tasks", lookup))
                result.question = "Which task do you mean? Tell me its number, like #3."
                break
            arguments: dict[str, Any] = {} if task_id is None else {"task_id": task_id}
            creates = [c for c in result.calls if c.name == "create_task"]
            if (
                intent == "update_task"
                and task_id is None
                and creates
                and _NOTE_FOR_IT.match(clause)
            ):
                _fold_into_last_create(result.calls, clause, now)  # "New task 'X'. Add a note: Y"
                continue
            if intent == "update_task" and task_id is None and creates and (tags := _tags(clause)):
                creates[-1].arguments["tags"] = tags  # "new task: order a filter. tag it pets"
                continue
            if intent == "update_task":
                changes = _update_args(clause, now)
                if not changes and any(later for _, later in clauses[position + 1 :]):
                    continue  # "#2 has slipped, can you make its due date Friday": the next says
                if not changes:
                    result.question = "What should I change about that task?"
                    break
                arguments |= changes
            result.calls.append(PlannedCall(intent, arguments))
        elif intent == "create_task" and len(titles := _several_titles(clause)) >= 2:
            result.calls += [
                _create_call(title, clause, _own_when(title, titles, clause, now) or when, projects)
                for title in titles
            ]
            made_task = True
        elif intent == "create_project" and len(names := _several_titles(clause)) >= 2:
            result.calls += [PlannedCall("create_project", {"name": name}) for name in names]
        elif intent == "create_task":
            title = _title(clause, when)
            if title is None:
                result.question = "What should the task be called?"
                break
            args: dict[str, Any] = {"title": title}
            priority = _priority(_without(clause, when))
            if priority:
                args["priority"] = priority
            if when is not None:
                args["due_date"] = when.value.date().isoformat()
            tags = _tags(clause)
            if tags:
                args["tags"] = tags
            description = _description(clause)
            if description:
                args["description"] = description
            if (project := _project_id(clause, projects)) is not None:
                args["project_id"] = project
            result.calls.append(PlannedCall("create_task", args))
            made_task = True
        elif intent == "create_project":
            name = _project_name(clause)
            if name is None:
                result.question = "What should the project be called?"
                break
            project_args = {"name": name}
            if description := _description(clause):
                project_args["description"] = description
            result.calls.append(PlannedCall("create_project", project_args))
        elif intent == "create_reminder":
            if (
                when is None
                and find_before_due(clause) is None
                and not any(other for part, other in clauses if part != clause)
            ):
                clause = text  # "Lunchtime the day before the form is due, give me a nudge"
                when = find_when(_quotes_blanked(clause), now)
            before = find_before_due(clause)  # "the evening before it's due"
            if before is not None:
                clause = (
                    clause[: before.start]
                    + " " * (before.end - before.start)
                    + clause[before.end :]
                )
                when = find_when(_quotes_blanked(clause), now)
            if when is None and before is None:
                result.question = ASK_WHEN_TO_REMIND
                break
            at = when.value if when is not None else now
            earlier_reminders = [c for c in result.calls if c.name == "create_reminder"]
            if (
                when is not None
                and earlier_reminders
                and _TIME_ONLY.fullmatch(clause[when.start : when.end].strip())
            ):
                # "at 7:30 tomorrow about the PE kit and at noon about the fees": the same day
                day = datetime.fromisoformat(earlier_reminders[-1].arguments["remind_at"]).date()
                at = datetime.combine(day, at.time())
            if when is not None and when.has_time and (ahead := shortly_before(clause)):
                at -= ahead  # "my shift starts at 6 on Friday, remind me an hour before"
            reminder: dict[str, Any] = {}
            task_id = _task_id(clause, focus_task_id, made_task)
            if task_id is not None:
                reminder["task_id"] = task_id
            elif (earlier := _earlier_task_named(result.calls, clause)) is not None:
                reminder["task_id"] = earlier  # "... then remind me about the paint one"
            about = re.search(r"\b(?:to|about|that)\s+(.+)$", _without(clause, when), _I)
            if (quoted_message := _quoted(clause)) is not None:
                reminder["message"] = quoted_message  # "...at 9am: 'pick up the turkey'"
            elif about and not _REFERENCE_RE.fullmatch(about.group(1).strip(" .!?")):
                message = _TRAILING_NOISE.sub("", about.group(1)).strip(" .!?")
                reminder["message"] = re.sub(r"\s+(?=,)", "", re.sub(r"\s{2,}", " ", message))
            acted_on = {c.arguments.get("task_id") for c in result.calls} - {None}
            if "task_id" not in reminder and "message" not in reminder and len(acted_on) == 1:
                # "move the vet appointment to the 14th and remind me the evening before"
                reminder["task_id"] = acted_on.pop()
            if "task_id" not in reminder and open_tasks and reminder.get("message"):
                # "remind me at 8am to book Luna's vaccinations": about a task they have
                linked = _task_the_message_is_about(open_tasks, str(reminder["message"]))
                if linked is not None:
                    reminder["task_id"] = linked
            if before is not None:
                if "task_id" not in reminder and open_tasks and not made_task:
                    # "two days before the glossary is due", "the night before Mum's podiatrist"
                    subject = _DUE_WORDS.sub("", clause[before.end :].split(",")[0])
                    if (linked := _task_the_message_is_about(open_tasks, subject)) is not None:
                        reminder["task_id"] = linked
                due = _due_of(result.calls, reminder.get("task_id"), made_task, due_dates)
                if due is None:
                    result.question = ASK_WHEN_DUE
                    break
                at = before_due_at(before, due, clause, now)
            reminder = {"remind_at": at.isoformat(timespec="minutes")} | reminder
            result.calls.append(PlannedCall("create_reminder", reminder))
        elif intent == "list_tasks":
            result.calls.append(PlannedCall("list_tasks", _list_args(clause, now, projects)))
            if _also_calendar(clause):  # "what tasks and meetings do I have today?"
                result.calls.append(PlannedCall("get_calendar", _calendar_args(clause, now)))
        elif intent == "get_calendar":
            result.calls.append(PlannedCall("get_calendar", _calendar_args(clause, now)))
    # two clauses that say the same thing ("... handled, mark it off") make one call, and two
    # changes to one task ("rename task 3 to X and set it to medium priority") one update
    unique: list[PlannedCall] = []
    for call in result.calls:
        last = unique[-1] if unique else None
        if call in unique:
            continue
        if (  # "I've got to get the abstract in by Monday - make it high priority": one create
            last is not None
            and last.name == "create_task"
            and call.name == "update_task"
            and "task_id" not in call.arguments
            and set(call.arguments) <= {"priority", "due_date", "tags", "description"}
            and not set(call.arguments) & set(last.arguments)
        ):
            last.arguments |= call.arguments
            continue
        if (
            last is not None
            and call.name == last.name == "update_task"
            and call.arguments.get("task_id") == last.arguments.get("task_id") is not None
            and not set(call.arguments) & set(last.arguments) - {"task_id"}
        ):
            last.arguments |= call.arguments
            continue
        unique.append(call)
    result.calls = unique
    return result
