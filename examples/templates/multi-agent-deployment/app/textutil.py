"""Text helpers of the sample app."""


def title_name(name):
    """'ada lovelace' -> 'Ada Lovelace'; blank names become 'World'."""
    words = name.split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or "World"
