"""The check pipeline: a LangGraph graph that runs every guideline of a plan."""
