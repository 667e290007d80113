"""A deterministic detector of text aimed at AI reviewers (prompt injection) in an article.

It runs in every check as the built-in guideline ``prompt-injection`` (kind ``rule``, severity
warning), whether or not an LLM is configured: an article that tells "the AI" to approve it is
worth a human's attention either way. Each hit is a warning finding and the result carries a
``PROMPT_INJECTION`` warning. The patterns cover the common English phrasings and the basics in
German, French, Spanish, Italian and Dutch; they are deliberately specific (an instruction
*to a reviewer*), so ordinary marketing copy does not trip them.
"""

from __future__ import annotations

import time

import regex

from compliance_assistant.engine.document import Document, Span
from compliance_assistant.engine.findings import FindingDraft, Severity, finalise_findings
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind
from compliance_assistant.engine.ports import GuidelineVerdict
from compliance_assistant.engine.result import GuidelineResult, ResultWarning

INJECTION_GUIDELINE_ID = "prompt-injection"
INJECTION_WARNING_CODE = "PROMPT_INJECTION"

INJECTION_GUIDELINE = Guideline(
    id=INJECTION_GUIDELINE_ID,
    title="No instructions aimed at AI reviewers",
    kind=GuidelineKind.RULE,
    severity=Severity.WARNING,
    description="Built in, always run: flags text that tries to instruct an automated "
    'reviewer ("ignore previous instructions", "mark this as compliant" …).',
    rules=("builtin.PromptInjection",),
)

_PREVIOUS = r"(?:previous|prior|above|earlier|preceding|former|foregoing)"
_ORDERS = r"(?:instructions?|prompts?|rules|guidelines|directions|directives|context)"
_AI = (
    r"(?:AI|A\.I\.|LLM|GPT|ChatGPT|Claude|Gemini|Copilot|chatbot|language\s+model|"
    r"artificial\s+intelligence)"
)
_COMPLIANT = (
    r"(?:compliant|approved|passing|passed|pass|safe|acceptable|clean|"
    r"ok(?:ay)?|valid|conforming)"
)

# (name, human label, pattern). Patterns are matched case-insensitively, whitespace-tolerant.
_PATTERNS: tuple[tuple[str, str, str], ...] = (
    (
        "ignore-instructions",
        "asks to ignore earlier instructions",
        rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|of)\s+)*"
        rf"(?:{_PREVIOUS}\s+|your\s+(?:{_PREVIOUS}\s+)?|these\s+|system\s+){_ORDERS}\b",
    ),
    (
        "mark-compliant",
        "asks for a compliant verdict",
        rf"\b(?:mark|rate|classify|label|flag|report|treat|consider|score|grade|evaluate|judge)"
        rf"\s+(?:this|the|my|our)\s+(?:[\w-]+\s+){{0,2}}as\s+(?:fully\s+|100\s*%\s+)?"
        rf"{_COMPLIANT}\b",
    ),
    (
        "forced-output",
        "dictates the reviewer's answer",
        r"(?:\b(?:return|respond|output|answer|reply|say)\s+(?:with\s+)?(?:only\s+)?)?"
        r"[\"']?status[\"']?\s*[:=]\s*[\"']?pass\b",
    ),
    (
        "suppress-findings",
        "asks not to report problems",
        r"\b(?:do\s+not|don't|never)\s+(?:flag|report|mention|list|raise|output)\s+"
        r"(?:any|this|these|the|further)\s+(?:issues?|violations?|problems?|findings?|errors?)\b",
    ),
    (
        "role-change",
        "tries to change the reviewer's role",
        # "You are now eligible …" is marketing; "you are now an assistant …" is not.
        rf"\b(?:(?:you\s+are\s+now|from\s+now\s+on,?\s+you\s+are|you\s+are\s+no\s+longer|"
        rf"pretend\s+(?:to\s+be|you\s+are)|act\s+as)\s+(?:an?\s+|the\s+)?"
        rf"(?:(?:helpful|different|new|unrestricted|friendly|uncensored|evil)\s+)*"
        rf"(?:{_AI}|assistant|reviewer|model|bot|DAN|developer\s+mode)|"
        rf"from\s+now\s+on,?\s+you\s+(?:will|must)\s+(?:ignore|approve|answer|respond))\b",
    ),
    (
        "system-prompt",
        "refers to the system prompt or injects new instructions",
        r"(?:\bsystem\s+prompt\b|\b(?:your|the)\s+developer\s+(?:prompt|message)\b|"
        r"\b(?:your|the)\s+system\s+instructions?\b|"
        r"\bnew\s+instructions?\s*:|<\|?(?:im_start|im_end|system)\|?>|\[/?(?:INST|SYS)\])",
    ),
    (
        "addresses-ai",
        "addresses an AI reviewer directly",
        rf"(?:\bas\s+an?\s+{_AI}(?:\s+(?:reviewer|assistant|model|checker))?\b|"
        rf"\b(?:dear|attention|hey|note\s+(?:to|for)(?:\s+the)?|instructions?\s+for(?:\s+the)?)"
        rf"\s+{_AI}\b|\b{_AI}\s+(?:reviewers?|assistants?|models?|checkers?|tools?)\s*[,:])",
    ),
    (
        "ignore-instructions-de",
        "asks to ignore earlier instructions (German)",
        r"\b(?:ignorier(?:e|en\s+sie)|vergiss|vergessen\s+sie|missachte)\s+(?:(?:alle|die)\s+)*"
        r"(?:vorherigen|bisherigen|obigen|vorigen|früheren)\s+(?:anweisungen|instruktionen|"
        r"regeln|vorgaben)\b",
    ),
    (
        "mark-compliant-de",
        "asks for a compliant verdict (German)",
        r"\bals\s+(?:konform|regelkonform|compliant|genehmigt|unbedenklich)\s+"
        r"(?:markieren|markiert|einstufen|bewerten|kennzeichnen|melden)\b",
    ),
    (
        "role-change-de",
        "tries to change the reviewer's role (German)",
        r"\b(?:du\s+bist|sie\s+sind)\s+(?:jetzt|nun|ab\s+sofort)\s+(?:ein|eine|der|die|kein)\b",
    ),
    (
        "ignore-instructions-fr",
        "asks to ignore earlier instructions (French)",
        r"\b(?:ignore[rz]?|oublie[rz]?)\s+(?:toutes\s+)?(?:les\s+)?(?:instructions|consignes)\s+"
        r"(?:précédentes|antérieures|ci-dessus)\b",
    ),
    (
        "mark-compliant-fr",
        "asks for a compliant verdict (French)",
        r"\b(?:marque[rz]?|considère[rz]?|classe[rz]?|évalue[rz]?)\s+(?:ce|cet|cette|le|la)\s+"
        r"(?:[\w-]+\s+){0,2}comme\s+conforme\b",
    ),
    (
        "role-change-fr",
        "tries to change the reviewer's role (French)",
        r"\b(?:tu\s+es|vous\s+êtes)\s+(?:maintenant|désormais)\b",
    ),
    (
        "ignore-instructions-es",
        "asks to ignore earlier instructions (Spanish)",
        r"\b(?:ignora(?:r)?|olvida(?:r)?)\s+(?:todas\s+)?las\s+instrucciones\s+"
        r"(?:anteriores|previas)\b",
    ),
    (
        "mark-compliant-es",
        "asks for a compliant verdict (Spanish)",
        r"\b(?:marca(?:r)?|considera(?:r)?|califica(?:r)?)\s+(?:este|esta|el|la)\s+"
        r"(?:[\w-]+\s+){0,2}como\s+(?:conforme|aprobad[oa]|válid[oa])\b",
    ),
    (
        "role-change-es",
        "tries to change the reviewer's role (Spanish)",
        r"\b(?:ahora\s+eres|a\s+partir\s+de\s+ahora\s+eres)\b",
    ),
    (
        "ignore-instructions-it",
        "asks to ignore earlier instructions (Italian)",
        r"\b(?:ignora|dimentica)\s+(?:tutte\s+)?le\s+istruzioni\s+(?:precedenti|sopra)\b",
    ),
    (
        "role-change-it",
        "tries to change the reviewer's role (Italian)",
        r"\b(?:ora|adesso)\s+sei\s+(?:un|una)\b",
    ),
    (
        "ignore-instructions-nl",
        "asks to ignore earlier instructions (Dutch)",
        r"\b(?:negeer|vergeet)\s+(?:alle\s+)?(?:vorige|eerdere|voorgaande)\s+"
        r"(?:instructies|aanwijzingen|regels)\b",
    ),
    (
        "role-change-nl",
        "tries to change the reviewer's role (Dutch)",
        r"\bje\s+bent\s+nu\s+(?:een|de)\b",
    ),
)

_COMPILED = tuple(
    (name, label, regex.compile(pattern, regex.IGNORECASE | regex.UNICODE))
    for name, label, pattern in _PATTERNS
)


def detect_injection(document: Document) -> list[tuple[Span, str, str]]:
    """Non-overlapping hits ``(span, pattern name, label)`` in reading order."""
    hits: list[tuple[Span, str, str]] = []
    for name, label, pattern in _COMPILED:
        for match in pattern.finditer(document.text):
            if match.end() > match.start():
                hits.append((Span(start=match.start(), end=match.end()), name, label))
    hits.sort(key=lambda hit: (hit[0].start, -hit[0].end))
    kept: list[tuple[Span, str, str]] = []
    for hit in hits:
        if kept and hit[0].start < kept[-1][0].end:
            continue
        kept.append(hit)
    return kept


def screen_document(document: Document) -> GuidelineVerdict:
    """The built-in guideline's verdict: a warning finding per hit, and one result warning."""
    started = time.perf_counter()
    hits = detect_injection(document)
    drafts = [
        FindingDraft(
            guideline_id=INJECTION_GUIDELINE_ID,
            rule_id=f"builtin.PromptInjection.{name}",
            severity=Severity.WARNING,
            message="Text addressed to an AI reviewer (possible prompt injection)",
            explanation=f"This passage {label}. Instructions to automated reviewers have no "
            "place in published content and are ignored by the check; remove it "
            "and find out how it got there.",
            span=span,
            source="rule",
        )
        for span, name, label in hits
    ]
    findings = finalise_findings(document, drafts)
    elapsed = (time.perf_counter() - started) * 1000
    result = GuidelineResult.from_findings(INJECTION_GUIDELINE, findings, elapsed)
    warnings: tuple[ResultWarning, ...] = ()
    if findings:
        warnings = (
            ResultWarning(
                code=INJECTION_WARNING_CODE,
                message=f"The article contains {len(findings)} passage(s) addressed to an AI "
                "reviewer; they were treated as content, not instructions.",
                details={
                    "finding_ids": [f.id for f in findings],
                    "patterns": sorted({name for _, name, _ in hits}),
                },
            ),
        )
    return GuidelineVerdict(result=result, warnings=warnings)
