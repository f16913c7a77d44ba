"""EdgeOne knowledge: entry models, the YAML loader, the fuzzy matcher and its compiled copy
(``bot.knowledge.compiled``, imported on its own by the command line)."""

from bot.knowledge.loader import KnowledgeBase, KnowledgeError, load
from bot.knowledge.matcher import Answer, Match, Matcher, Reason
from bot.knowledge.models import Entry, FaultSide, Product, Responder

__all__ = [
    "Answer",
    "Entry",
    "FaultSide",
    "KnowledgeBase",
    "KnowledgeError",
    "Match",
    "Matcher",
    "Product",
    "Reason",
    "Responder",
    "load",
]
