"""EdgeOne knowledge: entry models, the YAML loader and the fuzzy matcher."""

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
